from django.urls import path

from kapcare.leads import views

app_name = "leads"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("close/", views.bulk_close, name="bulk_close"),
    path("calls/new/", views.log_call, name="log_call"),
    path("settings/", views.lead_settings, name="settings"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reply/", views.lead_reply, name="reply"),
    path("<int:pk>/note/", views.lead_note, name="note"),
    path("<int:pk>/assign/", views.lead_assign, name="assign"),
    path("<int:pk>/status/", views.lead_status, name="status"),
    path("<int:pk>/convert/", views.convert, name="convert"),
    path("<int:pk>/card/<str:side>/", views.card, name="card"),
    path("patients/<int:pk>/", views.chart_panel, name="chart_panel"),
]
