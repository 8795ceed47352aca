from django.urls import path

from kapcare.sessions import api

app_name = "devices"
urlpatterns = [path("observations", api.observations, name="observations")]
