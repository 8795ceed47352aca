"""How apps plug into the staff app without the core importing them.

An app's AppConfig may declare:
- `staff_nav`: [(label, url name, permission)], links in the staff header for roles that may;
- `chart_panels`: [url name], panels of the patient's chart, each a view taking the patient's pk
  that returns an HTMX partial.
They appear in INSTALLED_APPS order, which is the order of the patient's journey.
"""

from django.apps import apps
from django.urls import resolve, reverse

from kapcare.clinics.roles import allows


def chart_panels(role: str) -> list[str]:
    """The chart's panels this role may open: a panel it may not see is left out, not shown broken."""
    return [
        name
        for config in apps.get_app_configs()
        for name in getattr(config, "chart_panels", [])
        if allows(role, panel_permission(name))
    ]


def panel_permission(name: str) -> str | None:
    view = resolve(reverse(name, kwargs={"pk": 1})).func
    return getattr(view, "permission", None)


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
    # The current section is the longest link that the page's address starts with; the staff
    # app's front page (/staff/) is current only on itself.
    matches = [item for item in items if request.path == item["url"] or is_section(item["url"], request.path)]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["current"] = True
    return items


def is_section(url: str, path: str) -> bool:
    return url.rstrip("/").count("/") > 1 and path.startswith(url)
