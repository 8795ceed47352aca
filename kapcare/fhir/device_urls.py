from django.urls import path

from kapcare.fhir import devices

app_name = "devices"
urlpatterns = [path("observations", devices.observations, name="observations")]
