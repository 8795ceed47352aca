"""This app's staff URLs for the role-matrix walk: name -> (kwargs from the cast, method)."""

from kapcare.website.models import Faq, Page


def a_page(cast):
    page = Page.objects.create(
        clinic=cast["clinic"], slug="about", title="About", nav="About", description="d", body="Text"
    )
    return {"pk": page.pk}


def a_faq(cast):
    return {"pk": Faq.objects.create(clinic=cast["clinic"], question="Q?", answer="A.").pk}


URLS = {
    "website:staff_overview": (lambda cast: {}, "get"),
    "website:staff_settings": (lambda cast: {}, "get"),
    "website:staff_preview": (lambda cast: {}, "post"),
    "website:staff_faq_new": (lambda cast: {}, "get"),
    "website:staff_page_edit": (a_page, "get"),
    "website:staff_faq_edit": (a_faq, "get"),
    "website:staff_faq_delete": (a_faq, "post"),
    "website:staff_providers": (lambda cast: {}, "get"),
    "website:staff_provider_edit": (lambda cast: {"pk": cast["membership"].pk}, "get"),
}
