from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "kapcare.patients"
    label = "patients"
    verbose_name = "Patients and courses of treatment"
    staff_nav = [
        ("Today", "patients:dashboard", "patients.view"),
        ("Patients", "patients:list", "patients.view"),
        ("Consents", "patients:consent_documents", "consents.publish"),
    ]
    chart_panels = ["patients:consent_panel", "patients:preparation_panel"]
