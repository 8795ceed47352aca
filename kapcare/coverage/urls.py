from django.urls import path

from kapcare.coverage import lead_views, views

app_name = "coverage"
urlpatterns = [
    path("payers/", views.payer_list, name="payers"),
    path("payers/new/", views.payer_new, name="payer_new"),
    path("payers/<int:pk>/edit/", views.payer_edit, name="payer_edit"),
    path("settings/", views.settings_edit, name="settings"),
    path("patients/<int:pk>/", views.panel, name="panel"),
    path("patients/<int:pk>/new/", views.coverage_new, name="new"),
    path("<int:pk>/edit/", views.coverage_edit, name="edit"),
    path("<int:pk>/check/", views.coverage_check, name="check"),
    path("<int:pk>/card/<str:side>/", views.card, name="card"),
    path("checks/<int:pk>/", views.check_detail, name="check_detail"),
    path("leads/", lead_views.lead_list, name="leads"),
    path("leads/<int:pk>/check/", lead_views.lead_check, name="lead_check"),
    path("leads/<int:pk>/send/", lead_views.lead_send, name="lead_send"),
]
