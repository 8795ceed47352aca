from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.website.models import Faq, Page, WebsiteSettings


def test_an_admin_sees_the_shipped_pages_as_editable_copies(signed_in, admin, clinic):
    text = signed_in(admin).get(reverse("website:staff_overview")).text
    assert "How a course of KAP works" in text
    assert Page.objects.filter(clinic=clinic).count() == 9 and Faq.objects.filter(clinic=clinic).exists()


def test_an_admin_edits_a_page_and_the_public_sees_it(signed_in, admin, clinic, client):
    client = signed_in(admin)
    client.get(reverse("website:staff_overview"))
    page = Page.objects.get(clinic=clinic, slug="preparing")
    response = client.post(reverse("website:staff_page_edit", kwargs={"pk": page.pk}), {
        "title": "Before your session", "nav": "Before", "description": "What to do before a session at Riverside.",
        "body": "## Fasting\nNothing to eat for **four** hours.", "save": ""})  # fmt: skip
    assert response.status_code == 302
    client.logout()
    text = client.get(reverse("website:preparing")).text
    assert "<h1>Before your session</h1>" in text and "<strong>four</strong>" in text
    assert AuditEvent.objects.filter(action="update", object_type="Page").exists()


def test_preview_shows_the_sanitised_page_without_saving(signed_in, admin, clinic):
    client = signed_in(admin)
    client.get(reverse("website:staff_overview"))
    page = Page.objects.get(clinic=clinic, slug="preparing")
    response = client.post(reverse("website:staff_page_edit", kwargs={"pk": page.pk}), {
        "title": "Draft", "nav": "Draft", "description": "d" * 40, "body": "## New\n<script>x()</script>", "preview": ""})  # fmt: skip
    assert "<h2>New</h2>" in response.text and "<script>x()" not in response.text
    page.refresh_from_db()
    assert page.title != "Draft"
    partial = client.post(reverse("website:staff_preview"), {"body": "*hi*"}, HTTP_HX_REQUEST="true")
    assert partial.text.strip() == "<p><em>hi</em></p>"


def test_a_page_needs_a_title_and_body(signed_in, admin, clinic):
    client = signed_in(admin)
    client.get(reverse("website:staff_overview"))
    page = Page.objects.get(clinic=clinic, slug="preparing")
    response = client.post(
        reverse("website:staff_page_edit", kwargs={"pk": page.pk}), {"title": "", "body": ""}
    )
    assert "This field is required" in response.text
    assert Page.objects.get(pk=page.pk).title == page.title


def test_an_admin_adds_and_removes_a_question(signed_in, admin, clinic, client):
    client = signed_in(admin)
    client.post(
        reverse("website:staff_faq_new"),
        {"question": "Is there parking?", "answer": "Yes, on Elm Street.", "position": 0},
    )
    faq = Faq.objects.get(question="Is there parking?")
    assert faq.clinic == clinic
    assert "Is there parking?" in client.get(reverse("website:faq")).text
    client.post(reverse("website:staff_faq_delete", kwargs={"pk": faq.pk}))
    assert not Faq.objects.filter(pk=faq.pk).exists()


def test_another_clinics_admin_gets_404_for_this_clinics_page(signed_in, clinic, outsider):
    page = Page.objects.create(clinic=clinic, slug="about", title="A", nav="A", description="d", body="b")
    assert (
        signed_in(outsider).get(reverse("website:staff_page_edit", kwargs={"pk": page.pk})).status_code == 404
    )


def test_an_intake_coordinator_may_not_edit_the_website(signed_in, intake):
    assert signed_in(intake).get(reverse("website:staff_overview")).status_code == 403


def test_contact_details_and_the_guide_are_set_by_the_admin(signed_in, admin, clinic, client):
    response = signed_in(admin).post(reverse("website:staff_settings"), {
        "phone": "617 555 0100", "text_number": "617 555 0149", "email": "hello@riverside.example",
        "guide_title": "Our guide", "phq2_cutoff": 3,
        "guide_pdf": SimpleUploadedFile("g.pdf", b"%PDF-1.4 test", content_type="application/pdf")})  # fmt: skip
    assert response.status_code == 302
    website = WebsiteSettings.objects.get(clinic=clinic)
    assert str(website.text_number) == "+16175550149" and website.guide_pdf
    text = client.get("/").text
    assert 'href="sms:+16175550149"' in text and "Our guide" in text


def test_a_guide_that_is_not_a_pdf_is_refused(signed_in, admin, clinic):
    response = signed_in(admin).post(reverse("website:staff_settings"), {
        "guide_title": "Our guide", "phq2_cutoff": 3,
        "guide_pdf": SimpleUploadedFile("g.pdf", b"<html>not a pdf", content_type="application/pdf")})  # fmt: skip
    assert "The guide must be a PDF file" in response.text
    assert not WebsiteSettings.objects.get(clinic=clinic).guide_pdf


def test_a_phq2_threshold_outside_the_scale_is_refused(signed_in, admin, clinic):
    response = signed_in(admin).post(
        reverse("website:staff_settings"), {"guide_title": "G", "phq2_cutoff": 9}
    )
    assert "PHQ-2 totals run from 0 to 6" in response.text


def test_the_demo_guide_is_a_readable_pdf():
    from kapcare.website.guide_pdf import from_markdown

    pdf = from_markdown(
        "A guide", "## Heading\n\nSome text (with brackets) and “quotes”.\n\n" + "More words. " * 400
    )
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert b"/Count 2" in pdf, "long text flows onto a second page"
    assert b"\\(with brackets\\)" in pdf


def test_an_admin_publishes_a_provider_profile_and_the_public_directory_shows_it(
    signed_in, admin, prescriber, clinic, client
):
    from kapcare.clinics.models import Membership

    membership = Membership.objects.get(user=prescriber)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    staff = signed_in(admin)
    response = staff.post(reverse("website:staff_provider_edit", kwargs={"pk": membership.pk}), {
        "published": "on", "title": "Psychiatrist", "licence": "MD", "licence_states": "MA, NH",
        "certifications": "KAP training, 2023\nMDMA therapy training", "supervised_experience": "5 years in clinic",
        "integration_experience": "Weekly integration groups", "languages": "English, Spanish", "bio": "Trained in *Boston*.",
        "position": 0, "photo": SimpleUploadedFile("me.png", png, content_type="image/png")})  # fmt: skip
    assert response.status_code == 302
    staff.logout()
    text = client.get(reverse("website:providers")).text
    assert (
        "Iris Calder, MD" in text and "MA, NH" in text and "KAP training, 2023; MDMA therapy training" in text
    )
    assert "English, Spanish" in text and "<em>Boston</em>" in text
    profile = membership.user  # noqa: F841
    from kapcare.website.models import ProviderProfile

    photo = client.get(reverse("website:provider_photo", kwargs={"pk": ProviderProfile.objects.get().pk}))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"


def test_an_unpublished_profile_is_not_in_the_directory_and_its_photo_is_not_served(
    signed_in, admin, prescriber, clinic, client
):
    from kapcare.website.models import ProviderProfile

    profile = ProviderProfile.objects.create(
        clinic=clinic, user=prescriber, title="Psychiatrist", published=False
    )
    assert "Iris Calder" not in client.get(reverse("website:providers")).text
    assert client.get(reverse("website:provider_photo", kwargs={"pk": profile.pk})).status_code == 404


def test_a_provider_photo_that_is_not_an_image_is_refused(signed_in, admin, prescriber, clinic):
    from kapcare.clinics.models import Membership
    from kapcare.website.models import ProviderProfile

    membership = Membership.objects.get(user=prescriber)
    response = signed_in(admin).post(reverse("website:staff_provider_edit", kwargs={"pk": membership.pk}), {
        "title": "Psychiatrist", "languages": "English", "position": 0,
        "photo": SimpleUploadedFile("me.png", b"%PDF-1.4", content_type="image/png")})  # fmt: skip
    assert "The photo must be a JPEG, PNG or WebP image" in response.text
    assert not ProviderProfile.objects.exists()


def test_another_clinics_admin_cannot_edit_this_clinics_directory(signed_in, prescriber, other_clinic):
    from conftest import make_member
    from kapcare.clinics.models import Membership

    outsider_admin = make_member(other_clinic, "admin", "admin@hillside.example", "Hilda Admin")
    membership = Membership.objects.get(user=prescriber)
    assert (
        signed_in(outsider_admin)
        .get(reverse("website:staff_provider_edit", kwargs={"pk": membership.pk}))
        .status_code
        == 404
    )
