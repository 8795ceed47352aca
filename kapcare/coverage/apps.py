from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "kapcare.coverage"
    label = "coverage"
    verbose_name = "Insurance coverage and eligibility"
    staff_nav = [("Payers", "coverage:payers", "coverage.view")]
    chart_panels = ["coverage:panel"]
