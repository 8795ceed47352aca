from django.apps import AppConfig


class WebsiteConfig(AppConfig):
    name = "kapcare.website"
    label = "website"
    verbose_name = "Public website"
    staff_nav = [("Website", "website:staff_overview", "website.edit")]
