from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The patient's own area at /portal/, signed in by a link sent by email or text.

    Other apps add sections to the portal home without the portal importing them:
    `portal_panels = ["app:url_name"]` on their AppConfig, each a view that takes no arguments,
    reads the patient with `kapcare.portal.access.get_portal_patient(request)` (wrap it in
    `portal_view`) and returns an HTMX partial. The measures app's open questionnaires and the
    evaluation app's history form belong here.
    """

    name = "kapcare.portal"
    label = "portal"
    verbose_name = "Patient portal"
