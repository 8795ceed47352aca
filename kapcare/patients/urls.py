from django.urls import path

from kapcare.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("patients/", views.patient_list, name="list"),
    path("patients/new/", views.patient_new, name="new"),
    path("patients/<int:pk>/", views.chart, name="chart"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="edit"),
    path("patients/<int:pk>/courses/new/", views.course_new, name="course_new"),
    path("courses/<int:pk>/transition/", views.course_transition, name="course_transition"),
]
