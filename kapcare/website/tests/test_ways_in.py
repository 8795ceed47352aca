from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.leads.models import CoverageRequest, Kind, Lead
from kapcare.website.forms import sniff
from kapcare.website.models import GuideRequest, SelfScreen, WebsiteSettings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64

CONTACT = {
    "name": "Wren Ashdown",
    "email": "wren@example.com",
    "phone": "617 555 0177",
    "preferred_contact": "email",
    "preferred_time": "mornings",
    "condition": "ptsd",
    "message": "Could KAP help with nightmares?",
}


def test_the_contact_form_creates_a_message_lead_with_what_they_told_us(client, clinic):
    response = client.post(reverse("website:contact"), CONTACT)
    assert response.status_code == 302 and response.url == reverse(
        "website:thanks", kwargs={"kind": "message"}
    )
    lead = Lead.objects.get()
    assert (lead.kind, lead.name, lead.email, str(lead.phone), lead.condition) == (
        "message",
        "Wren Ashdown",
        "wren@example.com",
        "+16175550177",
        "ptsd",
    )
    assert lead.messages.get().body == "Could KAP help with nightmares?"
    assert lead.text_consent_at is None
    assert AuditEvent.objects.filter(action="create", object_type="Lead").exists()


def test_asking_to_be_texted_needs_the_consent_box_and_records_it(client, clinic):
    response = client.post(reverse("website:contact"), {**CONTACT, "preferred_contact": "text"})
    assert "Tick this box so we may text you" in response.text and not Lead.objects.exists()
    client.post(reverse("website:contact"), {**CONTACT, "preferred_contact": "text", "text_consent": "on"})
    assert Lead.objects.get().text_consent_at is not None


def test_a_contact_form_with_bad_input_re_renders_with_errors_and_saves_nothing(client, clinic):
    response = client.post(reverse("website:contact"), {**CONTACT, "email": "not-an-email", "message": ""})
    assert response.status_code == 200
    assert "Enter a valid email address" in response.text and "This field is required" in response.text
    assert 'aria-invalid="true"' in response.text
    assert not Lead.objects.exists()


def test_a_bot_that_fills_the_honeypot_is_thanked_and_ignored(client, clinic):
    response = client.post(reverse("website:contact"), {**CONTACT, "website": "http://spam.example"})
    assert response.status_code == 302
    assert not Lead.objects.exists()


def test_one_address_is_limited_to_a_few_posts_an_hour(client, clinic, settings):
    settings.WEBSITE_FORM_LIMIT_PER_HOUR = 3
    for _ in range(3):
        assert client.post(reverse("website:contact"), CONTACT).status_code == 302
    response = client.post(reverse("website:contact"), CONTACT)
    assert response.status_code == 429 and "several times in the last hour" in response.text
    assert Lead.objects.count() == 3
    other = client.post(reverse("website:contact"), CONTACT, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


COVERAGE = {
    "name": "Tobias Grell",
    "email": "tobias@example.com",
    "payer": "other",
    "payer_other": "Harborview Health Plan",
    "member_id": "HHP448120937",
    "group_number": "77120",
    "subscriber_name": "Tobias Grell",
    "subscriber_date_of_birth": "1986-10-14",
    "relationship": "self",
}


def test_coverage_verification_keeps_the_structured_fields_and_both_card_photos(client, clinic):
    response = client.post(reverse("website:verify_coverage"), {
        **COVERAGE,
        "card_front": SimpleUploadedFile("front.jpg", PNG, content_type="image/jpeg"),
        "card_back": SimpleUploadedFile("back.pdf", PDF, content_type="application/pdf"),
    })  # fmt: skip
    assert response.status_code == 302
    lead = Lead.objects.get()
    coverage = lead.coverage
    assert lead.kind == Kind.COVERAGE and str(lead.date_of_birth) == "1986-10-14"
    assert (coverage.payer_name, coverage.member_id, coverage.group_number, coverage.relationship) == (
        "Harborview Health Plan",
        "HHP448120937",
        "77120",
        "self",
    )
    assert coverage.card_front.name.endswith(".png"), "the type comes from the content, not the name"
    assert coverage.card_back.name.endswith(".pdf")
    assert coverage.card_front.read() == PNG


def test_a_card_photo_that_is_not_an_image_or_pdf_is_refused_and_nothing_is_saved(client, clinic):
    response = client.post(reverse("website:verify_coverage"), {
        **COVERAGE, "card_front": SimpleUploadedFile("card.jpg", b"MZ\x90\x00 this is an exe", content_type="image/jpeg"),
    })  # fmt: skip
    assert "This is not a photo or PDF" in response.text
    assert not Lead.objects.exists() and not CoverageRequest.objects.exists()


def test_a_card_photo_over_the_size_limit_is_refused(client, clinic, settings):
    settings.WEBSITE_CARD_MAX_BYTES = 1024
    response = client.post(reverse("website:verify_coverage"), {
        **COVERAGE, "card_front": SimpleUploadedFile("card.png", PNG + b"0" * 2048, content_type="image/png"),
    })  # fmt: skip
    assert "larger than" in response.text and not Lead.objects.exists()


def test_coverage_needs_a_way_to_answer_and_a_birth_date_in_the_past(client, clinic):
    response = client.post(reverse("website:verify_coverage"), {
        **COVERAGE, "email": "", "subscriber_date_of_birth": "2999-01-01"})  # fmt: skip
    assert "Give an email address or a phone number" in response.text
    assert "The date of birth is in the future" in response.text
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    "head, kind",
    [(b"\xff\xd8\xff\xe0", "jpg"), (PNG, "png"), (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
     (b"\x00\x00\x00\x18ftypheic", "heic"), (PDF, "pdf"), (b"GIF89a", None), (b"<html>", None)],
)  # fmt: skip
def test_uploads_are_recognised_by_their_first_bytes(head, kind):
    assert sniff(head) == kind


@pytest.fixture
def guide(clinic):
    from django.core.files.base import ContentFile

    website = WebsiteSettings.for_clinic(clinic)
    website.guide_pdf.save("guide.pdf", ContentFile(PDF))
    return website


def test_the_guide_is_sent_only_after_the_address_confirms(client, clinic, guide):
    client.post(reverse("website:guide"), {"email": "reader@example.com", "consent": "on"})
    ask = GuideRequest.objects.get()
    assert len(mail.outbox) == 1 and not mail.outbox[0].attachments
    link = reverse("website:guide_confirm", kwargs={"token": ask.token})
    assert link in mail.outbox[0].body
    assert not Lead.objects.exists()
    client.get(link)  # a mail scanner opening the link confirms nothing
    assert GuideRequest.objects.get().confirmed_at is None and len(mail.outbox) == 1
    client.post(link)
    ask.refresh_from_db()
    assert ask.confirmed_at is not None
    sent = mail.outbox[-1]
    assert sent.to == ["reader@example.com"]
    assert sent.attachments[0][0] == "guide.pdf" and sent.attachments[0][1] == PDF
    lead = Lead.objects.get()
    assert (lead.kind, lead.email) == ("guide", "reader@example.com") and ask.lead == lead
    client.post(link)
    assert len(mail.outbox) == 2 and Lead.objects.count() == 1


def test_an_expired_confirmation_link_sends_nothing(client, clinic, guide):
    ask = GuideRequest.objects.create(clinic=clinic, email="late@example.com")
    GuideRequest.objects.filter(pk=ask.pk).update(created_at=timezone.now() - timedelta(days=8))
    response = client.post(reverse("website:guide_confirm", kwargs={"token": ask.token}))
    assert response.status_code == 410 and mail.outbox == [] and not Lead.objects.exists()


def test_the_guide_sign_up_needs_consent(client, clinic, guide):
    response = client.post(reverse("website:guide"), {"email": "reader@example.com"})
    assert "This field is required" in response.text and not GuideRequest.objects.exists()


def test_there_is_no_guide_page_until_the_clinic_uploads_a_guide(client, clinic):
    assert client.get(reverse("website:guide")).status_code == 404


def answers(**overrides):
    data = {"phq_1": "2", "phq_2": "2", "gad_1": "1", "gad_2": "0", "self_harm": "0",
            **{name: "0" for name in ("psychosis", "mania", "heart", "brain_vessels", "pregnancy", "substances",
                                       "allergy", "other_health", "under_18")}}  # fmt: skip
    data.update(overrides)
    return data


def test_the_self_screen_says_worth_a_conversation_and_stores_nothing_without_consent(client, clinic):
    response = client.post(reverse("website:self_screen"), answers())
    assert "It is worth a conversation" in response.text
    assert "not a diagnosis" in response.text
    assert "low mood or loss of interest" in response.text  # PHQ-2 of 4 is at or above the threshold of 3
    assert not SelfScreen.objects.exists()
    assert "Your answers were not stored" in response.text


def test_a_contraindication_answer_says_talk_to_your_doctor_first(client, clinic):
    response = client.post(reverse("website:self_screen"), answers(pregnancy="1", heart="1"))
    assert "Talk to your doctor first" in response.text
    assert (
        "pregnancy or breastfeeding" in response.text and "blood pressure or heart disease" in response.text
    )


def test_endorsing_self_harm_shows_crisis_resources_first(client, clinic):
    response = client.post(reverse("website:self_screen"), answers(self_harm="1", pregnancy="1"))
    assert "Please reach out for support now" in response.text
    assert "Talk to your doctor first" not in response.text
    assert response.text.count('href="tel:988"') >= 3


def test_the_self_screen_requires_every_answer(client, clinic):
    data = answers()
    del data["self_harm"]
    response = client.post(reverse("website:self_screen"), data)
    assert "This field is required" in response.text and not SelfScreen.objects.exists()


def test_with_consent_the_screen_is_kept_and_attached_to_the_lead_it_becomes(client, clinic):
    response = client.post(reverse("website:self_screen"), answers(keep="on", mania="1"))
    kept = SelfScreen.objects.get()
    assert (kept.phq2, kept.gad2, kept.outcome) == (4, 1, "doctor_first")
    assert kept.token in response.text
    client.post(reverse("website:self_screen_contact"), {
        "token": kept.token, "name": "Marisol Ferreira", "phone": "617 555 0164", "preferred_contact": "phone"})  # fmt: skip
    lead = Lead.objects.get()
    assert lead.kind == "self_screen"
    assert lead.details["self_screen"]["phq2"] == 4 and lead.details["self_screen"]["flags"] == [
        "mania or bipolar"
    ]
    kept.refresh_from_db()
    assert kept.lead == lead


def test_the_gad2_threshold_is_the_clinics_setting_and_unset_by_default(client, clinic):
    text = client.post(reverse("website:self_screen"), answers(gad_1="3", gad_2="3")).text
    assert "worry or nervousness" not in text
    WebsiteSettings.objects.update_or_create(clinic=clinic, defaults={"gad2_cutoff": 3})
    text = client.post(reverse("website:self_screen"), answers(gad_1="3", gad_2="3")).text
    assert "worry or nervousness" in text


def test_behind_the_clinics_proxy_the_limit_counts_the_visitors_address_not_the_proxys(
    client, clinic, settings
):
    settings.WEBSITE_FORM_LIMIT_PER_HOUR = 2
    settings.PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(2):
        client.post(reverse("website:contact"), CONTACT, HTTP_X_FORWARDED_FOR="198.51.100.4", **proxy)
    assert (
        client.post(
            reverse("website:contact"), CONTACT, HTTP_X_FORWARDED_FOR="198.51.100.4", **proxy
        ).status_code
        == 429
    )
    # A second visitor through the same proxy is not limited by the first.
    assert (
        client.post(
            reverse("website:contact"), CONTACT, HTTP_X_FORWARDED_FOR="198.51.100.5", **proxy
        ).status_code
        == 302
    )
    # A forged leftmost entry does not escape the limit: the proxy appends the real address.
    assert (
        client.post(
            reverse("website:contact"), CONTACT, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.4", **proxy
        ).status_code
        == 429
    )


def test_the_guides_emails_are_queued_for_the_worker_not_sent_while_the_visitor_waits(
    client, clinic, guide, settings
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.post(reverse("website:guide"), {"email": "reader@example.com", "consent": "on"})
    assert mail.outbox == []
    assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "kapcare.website.tasks.send_guide_confirmation"
    ]
