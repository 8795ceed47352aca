"""Staff pages under /staff/measures/ and the patient's questionnaire link under /q/. The portal
serves this app's section at /portal/questionnaires/ (`portal_panels` in apps.py)."""

from django.urls import path

from kapcare.measures import instrument_views as settings_views
from kapcare.measures import views

app_name = "measures"
urlpatterns = [
    path("staff/measures/patients/<int:pk>/", views.panel, name="panel"),
    path("staff/measures/patients/<int:pk>/assign/", views.assign, name="assign"),
    path("staff/measures/patients/<int:pk>/enter/", views.enter, name="enter"),
    path("staff/measures/patients/<int:pk>/results/<slug:instrument>/", views.results, name="results"),
    path("staff/measures/responses/<int:pk>/", views.response_detail, name="response"),
    path("staff/measures/alerts/", views.alerts, name="alerts"),
    path("staff/measures/alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("staff/measures/alerts/<int:pk>/close/", views.alert_close, name="alert_close"),
    path("staff/measures/assignments/<int:pk>/cancel/", views.assignment_cancel, name="assignment_cancel"),
    path("staff/measures/invitations/<int:pk>/cancel/", views.invitation_cancel, name="invitation_cancel"),
    path("staff/measures/invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("staff/measures/instruments/", settings_views.instruments, name="instruments"),
    path("staff/measures/instruments/import/", settings_views.import_view, name="import"),
    path("staff/measures/instruments/<int:pk>/", settings_views.instrument, name="instrument"),
    path("staff/measures/instruments/<int:pk>/rules/", settings_views.rule_add, name="rule_add"),
    path("staff/measures/instruments/<int:pk>/rules/remove/", settings_views.rule_remove, name="rule_remove"),
    path(
        "staff/measures/instruments/<int:pk>/reference-sd/", settings_views.reference_sd, name="reference_sd"
    ),
    path("q/<str:token>/", views.answer, name="answer"),
]
