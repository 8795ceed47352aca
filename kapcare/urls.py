from django.urls import include, path

from kapcare.clinics.views import healthz

urlpatterns = [
    path("", include("kapcare.website.urls")),
    path("staff/", include("kapcare.clinics.urls")),
    path("staff/", include("kapcare.patients.urls")),
    path("staff/audit/", include("kapcare.audit.urls")),
    path("staff/evaluation/", include("kapcare.evaluation.urls")),
    path("staff/sessions/", include("kapcare.sessions.urls")),
    path("api/devices/", include("kapcare.fhir.device_urls")),
    path("portal/history/", include("kapcare.evaluation.portal_urls")),
    path("portal/", include("kapcare.portal.urls")),
    path("staff/leads/", include("kapcare.leads.urls")),
    path("", include("kapcare.measures.urls")),
    path("", include("kapcare.integration.urls")),  # /staff/integration/ and /portal/journal/
    path("staff/coverage/", include("kapcare.coverage.urls")),
    path("", include("kapcare.fhir.urls")),  # /fhir/R4/ and /staff/fhir/
    path("healthz", healthz, name="healthz"),
]
