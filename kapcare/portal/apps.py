from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The patient's own area at /portal/, signed in by a link sent by email or text.

    Other apps add sections to the portal home without the portal importing them, through
    `portal_panels` on their AppConfig (see panels.py). Best is
    `("route/", "kapcare.app.portal_views.panel", "name")`: the portal serves the view at
    /portal/route/, signed in and audited, and the view reads `request.portal_patient`, so a
    clinical app never imports the portal. An "app:url_name" entry names a view the app serves
    and guards itself with `kapcare.patients.portal_access.portal_view`. Each returns an HTMX partial.
    """

    name = "kapcare.portal"
    label = "portal"
    verbose_name = "Patient portal"
