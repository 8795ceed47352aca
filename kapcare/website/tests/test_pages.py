import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.website.models import Faq, Page
from kapcare.website.pages import SLUGS

PUBLIC = ["website:home", *[f"website:{slug}" for slug in SLUGS], "website:faq", "website:contact",
          "website:providers",
          "website:verify_coverage", "website:self_screen"]  # fmt: skip
# Words that promise a result; the site must never use them.
PROMISES = re.compile(r"\b(cure[sd]?|guarantee[sd]?|proven to|will feel better|100%|miracle)\b", re.I)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_page_shows_crisis_resources_and_a_meta_description(client, clinic, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    text = response.text
    assert 'href="tel:988"' in text and 'href="tel:911"' in text
    description = re.search(r'<meta name="description" content="([^"]+)"', text).group(1)
    assert len(description) > 40


@pytest.mark.parametrize("name", PUBLIC)
def test_no_public_page_promises_an_outcome(client, clinic, name):
    text = re.sub(r"<[^>]+>", " ", client.get(reverse(name)).text)
    text = text.replace("is not a cure", "").replace("not a promise", "").replace("never promise", "")
    assert not PROMISES.search(text), PROMISES.search(text)


@pytest.mark.parametrize("name", PUBLIC)
def test_public_pages_issue_a_bounded_number_of_queries(client, clinic, name):
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse(name))
    assert len(queries) <= 6, [q["sql"] for q in queries]


def test_a_page_shows_the_clinics_edited_text_instead_of_the_shipped_text(client, clinic):
    Page.objects.create(
        clinic=clinic,
        slug="preparing",
        title="Getting ready",
        nav="Ready",
        description="How to get ready for a session at Riverside.",
        body="## Eat lightly\nBring socks.",
    )
    text = client.get(reverse("website:preparing")).text
    assert "<h1>Getting ready</h1>" in text and "<h2>Eat lightly</h2>" in text and "Bring socks" in text
    assert "Ready</a>" in text  # the footer menu uses the edited label


def test_edited_markdown_is_sanitised_before_it_reaches_the_public(client, clinic):
    Page.objects.create(clinic=clinic, slug="about", title="About", nav="About", description="x" * 50,
                        body='Hello <script>alert(1)</script> <a href="javascript:alert(1)" onclick="x()">link</a>'
                             '<img src=x onerror=alert(1)>')  # fmt: skip
    text = client.get(reverse("website:about")).text
    body = text.split("<h1>About</h1>")[1]
    assert "<script>alert" not in body and "javascript:" not in body and "onclick" not in body
    assert "<img" not in body and "onerror" not in body


def test_the_faq_page_carries_faqpage_structured_data(client, clinic):
    Faq.objects.create(clinic=clinic, question="Can I drive home?", answer="No. </script><b>x</b>")
    text = client.get(reverse("website:faq")).text
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S).group(1)
    data = json.loads(raw)
    assert data["@type"] == "FAQPage"
    assert data["mainEntity"][0]["name"] == "Can I drive home?"
    assert data["mainEntity"][0]["acceptedAnswer"]["@type"] == "Answer"


def test_the_faq_shows_the_shipped_questions_until_the_clinic_writes_its_own(client, clinic):
    assert "Can I drive home after a session?" in client.get(reverse("website:faq")).text


def test_the_costs_page_shows_general_text_and_in_network_payers_only_from_payer_data(client, clinic):
    from kapcare.website.views import payer_model

    Payer = payer_model()
    if Payer is not None:
        Payer.objects.create(clinic=clinic, name="Harborview Health", in_network=True)
        Payer.objects.create(clinic=clinic, name="Faraway Mutual", in_network=False)
    text = client.get(reverse("website:insurance-and-costs")).text
    assert "Often covered by insurance" in text
    if Payer is None:
        assert "Plans we are in network with" not in text
    else:
        assert "Harborview Health" in text and "Faraway Mutual" not in text


def test_robots_keeps_crawlers_out_of_staff_pages_and_points_to_the_sitemap(client, clinic):
    text = client.get("/robots.txt").text
    assert "Disallow: /staff/" in text and "Sitemap: http://testserver/sitemap.xml" in text


def test_the_sitemap_lists_every_public_page(client, clinic):
    response = client.get("/sitemap.xml")
    assert response["Content-Type"] == "application/xml"
    for name in PUBLIC:
        assert f"<loc>http://testserver{reverse(name)}</loc>" in response.text


def test_the_home_page_shows_the_clinics_number_as_a_tel_link(client, clinic):
    clinic.phone = "+1 617 555 0100"
    clinic.save()
    assert 'href="tel:+1 617 555 0100"' in client.get("/").text


def test_every_link_in_the_shipped_text_leads_to_a_page(client, clinic):
    from kapcare.website.pages import CONTENT

    links = set()
    for path in CONTENT.glob("*.md"):
        links |= set(re.findall(r"\]\((/[^)]*)\)", path.read_text()))
    assert links
    for link in sorted(links):
        assert client.get(link).status_code == 200, link
