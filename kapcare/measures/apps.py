from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "kapcare.measures"
    label = "measures"
    verbose_name = "Outcome measures"
    staff_nav = [
        ("Alerts", "measures:alerts", "measures.view"),
        ("Questionnaires", "measures:instruments", "measures.configure"),
    ]
    chart_panels = ["measures:panel"]
    # The portal serves the questionnaires section at /portal/questionnaires/, signed in and audited.
    portal_panels = [("questionnaires/", "kapcare.measures.portal_views.panel", "questionnaires")]
    # `kapcare worker` runs the sweep every hour: it makes the questionnaire occasions that have
    # fallen due, sends their links and the reminders (`kapcare measures-sweep` does the same by hand).
    periodic_tasks = [("kapcare.measures.tasks.sweep", 3600)]
