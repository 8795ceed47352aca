from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    """Preparation and integration sessions, progress and psychotherapy notes, goals, the queue of
    overdue integration sessions, and the patient's journal in the portal."""

    name = "kapcare.integration"
    label = "integration"
    verbose_name = "Integration"
    staff_nav = [
        ("Integration", "integration:queue", "integration.view"),
        ("Note template", "integration:settings", "integration.settings"),
    ]
    chart_panels = ["integration:panel"]
    portal_panels = ["integration:portal_panel"]
