from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "kapcare.coverage"
    label = "coverage"
    verbose_name = "Insurance coverage and eligibility"
    staff_nav = [("Coverage", "coverage:leads", "coverage.check")]
    chart_panels = ["coverage:panel"]
    lead_actions = [("Run eligibility check", "coverage:lead_check", "coverage.check", ("coverage",))]
