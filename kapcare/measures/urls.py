"""Staff pages under /staff/measures/ and the patient's questionnaire link under /q/."""

from django.urls import path

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
    path("q/<str:token>/", views.answer, name="answer"),
    path("portal/questionnaires/", views.portal_panel, name="portal_panel"),
]
