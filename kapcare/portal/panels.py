"""Sections other apps add to the portal home (`portal_panels` on their AppConfig), in journey order."""

from django.apps import apps


def portal_panels() -> list[str]:
    return [name for config in apps.get_app_configs() for name in getattr(config, "portal_panels", [])]
