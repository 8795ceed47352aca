"""axe-core checks every public page, on a desktop and on a phone, for serious or critical
accessibility violations. axe-core comes from the npm registry (.ci/run installs it into .cache/axe)."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from kapcare.website.guide_pdf import from_markdown
from kapcare.website.models import GuideRequest, WebsiteSettings
from kapcare.website.pages import SLUGS
from tests.e2e.conftest import screenshot

AXE = Path(__file__).resolve().parents[2] / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ["website:home", *[f"website:{slug}" for slug in SLUGS], "website:faq", "website:contact",
         "website:providers", "website:verify_coverage", "website:self_screen", "website:guide"]  # fmt: skip


@pytest.fixture
def public_site(clinic):
    clinic.phone = "+1 617 555 0100"
    clinic.save()
    website = WebsiteSettings.for_clinic(clinic)
    website.text_number = "+16175550149"
    website.guide_pdf.save("guide.pdf", ContentFile(from_markdown("A short guide", "Rest.")))
    return website


def serious_violations(page) -> list[str]:
    if not AXE.exists():
        raise AssertionError(f"axe-core is missing: run `npm install --prefix .cache/axe axe-core@4` ({AXE})")
    # Evaluated through the DevTools protocol, so the page's strict CSP still holds for everything else.
    page.evaluate(AXE.read_text())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def public_urls(live_server, clinic):
    urls = [reverse(name) for name in PAGES]
    ask = GuideRequest.objects.create(clinic=clinic, email="reader@example.com")
    urls += [reverse("website:guide_confirm", kwargs={"token": ask.token})]
    urls += [reverse("website:thanks", kwargs={"kind": kind}) for kind in ("message", "coverage")]
    return [live_server.url + url for url in urls]


@pytest.mark.parametrize("viewport", ["page", "phone"])
def test_every_public_page_has_no_serious_accessibility_violations(
    request, viewport, live_server, public_site, clinic
):
    browser_page = request.getfixturevalue(viewport)
    problems = {}
    for url in public_urls(live_server, clinic):
        browser_page.goto(url)
        found = serious_violations(browser_page)
        if found:
            problems[url] = found
        if viewport == "phone":
            width = browser_page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{url} scrolls sideways on a phone ({width}px)"
    screenshot(browser_page, f"public-last-{viewport}")
    assert problems == {}
    assert browser_page.console_errors == []


@pytest.mark.parametrize("outcome", ["worth", "doctor", "crisis"])
def test_the_self_screen_answers_and_form_errors_have_no_serious_violations(
    page, live_server, public_site, outcome
):
    page.goto(live_server.url + reverse("website:self_screen"))
    with page.expect_navigation():  # axe must run on the answered page, not the one leaving
        page.get_by_role("button", name="See my answer").click()  # every field missing: errors shown
    assert serious_violations(page) == []
    for group in page.get_by_role("group").all():
        options = group.get_by_role("radio")
        if options.count():
            pick = 0
            label = group.get_attribute("aria-describedby") or ""
            if outcome == "crisis" and "self_harm" in (group.inner_html()):
                pick = 1
            if outcome == "doctor" and "pregnant" in group.inner_text():
                pick = 1
            options.nth(pick).check()
            del label
    with page.expect_navigation():
        page.get_by_role("button", name="See my answer").click()
    page.locator("h1").wait_for()
    screenshot(page, f"self-screen-{outcome}")
    assert serious_violations(page) == []
