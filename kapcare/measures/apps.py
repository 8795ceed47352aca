from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "kapcare.measures"
    label = "measures"
    verbose_name = "Outcome measures"
    staff_nav = [("Alerts", "measures:alerts", "measures.view")]
    chart_panels = ["measures:panel"]
    portal_panels = ["measures:portal_panel"]
