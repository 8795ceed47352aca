from django.urls import path

from kapcare.evaluation import portal_views

app_name = "evaluation_portal"
urlpatterns = [
    path("", portal_views.history, name="history"),
    path("panel/", portal_views.panel, name="panel"),
]
