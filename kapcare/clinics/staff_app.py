"""How apps plug into the staff app without the core importing them.

An app's AppConfig may declare:
- `staff_nav`: [(label, url name, permission)], links in the staff header for roles that may;
- `chart_panels`: [url name], panels of the patient's chart, each a view taking the patient's pk
  that returns an HTMX partial.
They appear in INSTALLED_APPS order, which is the order of the patient's journey.
"""

from django.apps import apps
from django.urls import reverse

from kapcare.clinics.roles import allows


def chart_panels() -> list[str]:
    return [name for config in apps.get_app_configs() for name in getattr(config, "chart_panels", [])]


def staff_nav(request) -> list[dict]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    items = [
        {"label": label, "url": reverse(name)}
        for config in apps.get_app_configs()
        for label, name, permission in getattr(config, "staff_nav", [])
        if allows(membership.role, permission)
    ]
    # The current section is the longest link that the page's address starts with.
    matches = [item for item in items if request.path.startswith(item["url"])]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["current"] = True
    return items
