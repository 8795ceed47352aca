from django.urls import path

from kapcare.patients import consent_views, views

app_name = "patients"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("patients/", views.patient_list, name="list"),
    path("patients/new/", views.patient_new, name="new"),
    path("patients/<int:pk>/", views.chart, name="chart"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="edit"),
    path("patients/<int:pk>/courses/new/", views.course_new, name="course_new"),
    path("courses/<int:pk>/transition/", views.course_transition, name="course_transition"),
    path("patients/<int:pk>/consents/", consent_views.consent_panel, name="consent_panel"),
    path(
        "patients/<int:pk>/consents/<str:kind>/sign/",
        consent_views.consent_sign_in_clinic,
        name="consent_sign",
    ),
    path("consents/<int:pk>.pdf", consent_views.consent_pdf, name="consent_pdf"),
    path("patients/<int:pk>/preparation/", consent_views.preparation_panel, name="preparation_panel"),
    path("consents/", consent_views.consent_documents, name="consent_documents"),
    path("consents/publish/", consent_views.consent_publish, name="consent_publish"),
    path("consents/<int:pk>/withdraw/", consent_views.consent_withdraw, name="consent_withdraw"),
]
