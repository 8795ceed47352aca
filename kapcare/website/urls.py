from django.urls import path

from kapcare.website import views

app_name = "website"
urlpatterns = [path("", views.home, name="home")]
