from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "kapcare.evaluation"
    label = "evaluation"
    verbose_name = "Evaluation, screening, eligibility and treatment plan"
    staff_nav = [("Protocol", "evaluation:protocol", "protocol.view")]
    chart_panels = ["evaluation:panel"]
    portal_panels = ["evaluation_portal:panel"]
