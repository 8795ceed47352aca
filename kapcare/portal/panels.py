"""Sections other apps add to the portal home (`portal_panels` on their AppConfig), in journey order.

An entry is either the URL name of a view the app serves and guards itself, or
`(route, "dotted.path.to.view", name)`: a view the portal serves at /portal/<route> under the name
`portal:<name>`, wrapped in the portal's sign-in and audit (`portal_view`), so the app that offers
it never imports the portal (design.md: nothing clinical imports the portal). The view reads the
signed-in patient from `request.portal_patient`.
"""

from django.apps import apps


def _entries():
    return [entry for config in apps.get_app_configs() for entry in getattr(config, "portal_panels", [])]


def portal_panels() -> list[str]:
    """The URL name of every section."""
    return [entry if isinstance(entry, str) else f"portal:{entry[2]}" for entry in _entries()]


def served_panels() -> list[tuple[str, str, str]]:
    """The sections the portal serves itself: (route, dotted view path, URL name)."""
    return [tuple(entry) for entry in _entries() if not isinstance(entry, str)]
