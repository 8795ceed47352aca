from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "kapcare.leads"
    label = "leads"
    verbose_name = "Lead inbox"
    staff_nav = [("Leads", "leads:inbox", "leads.view")]
    chart_panels = ["leads:chart_panel"]
