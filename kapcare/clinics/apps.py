from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "kapcare.clinics"
    label = "clinics"
    verbose_name = "Clinics and staff"
    staff_nav = [("Team", "clinics:team", "staff.manage"), ("Sites", "clinics:sites", "clinic.manage")]
