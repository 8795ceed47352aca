"""Demo website: the shipped pages and FAQs as the clinic's own editable copies, contact details,
the guide as a PDF, and a handful of synthetic leads of every kind in the inbox."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from kapcare.leads.intake import create_lead
from kapcare.leads.models import CoverageRequest, Kind, Lead, LeadSettings, Status
from kapcare.website import guide_pdf
from kapcare.website.models import ProviderProfile, WebsiteSettings
from kapcare.website.pages import CONTENT, read
from kapcare.website.staff import ensure_content

# Synthetic people; 555-01xx numbers are reserved for fiction.
LEADS = [
    (Kind.MESSAGE, "Noor Halvorsen", "noor.h@example.com", "+16175550161", "trd", 2,
     "I have tried four antidepressants over six years. My psychiatrist mentioned ketamine. "
     "Do you work with outside psychiatrists?"),
    (Kind.TEXT, "", "", "+16175550162", "", 5, "Hi, do you take Blue Cross? And how soon could I start?"),
    (Kind.COVERAGE, "Tobias Grell", "tobias.grell@example.com", "+16175550163", "ptsd", 20,
     "Please verify my coverage with Harborview Health Plan."),
    (Kind.GUIDE, "", "reader.demo@example.com", "", "", 30,
     "Confirmed their address and was sent the guide."),
    (Kind.SELF_SCREEN, "Marisol Ferreira", "", "+16175550164", "", 50,
     "Took the self-screen and asked the clinic to get in touch, and kept their answers."),
    (Kind.CALL, "Bram Okafor", "", "+16175550165", "anxiety", 75,
     "Called about at-home sessions; lives two hours away. Wants a call back after 5 pm."),
]  # fmt: skip


# Synthetic directory entries for the synthetic demo staff.
PROFILES = [
    ("prescriber", "Psychiatrist", "MA", "Ketamine-assisted psychotherapy training, 2022",
     "6 years of in-clinic ketamine sessions",
     "Reviews every course at its integration milestones", "English, French"),
    ("np", "Psychiatric nurse practitioner", "MA, NH", "Ketamine-assisted psychotherapy training, 2023",
     "3 years of in-clinic and at-home sessions", "", "English, Spanish"),
    ("nurse", "Session nurse", "MA", "", "4 years monitoring ketamine sessions", "", "English, Swedish"),
    ("therapist", "KAP therapist", "MA", "Psychedelic-assisted therapy certificate, 2021",
     "Sits with patients through in-clinic sessions", "Individual and group integration since 2019",
     "English, Tamil"),
    ("therapist2", "KAP therapist", "MA, RI", "Psychedelic-assisted therapy certificate, 2022", "",
     "Integration for trauma and PTSD", "English, Hebrew"),
]  # fmt: skip


def load(demo) -> None:
    clinic = demo.clinic
    ensure_content(clinic)
    for position, (key, title, states, certificate, supervised, integration, languages) in enumerate(
        PROFILES
    ):
        user = demo.staff.get(key)
        if user is not None:
            ProviderProfile.objects.get_or_create(
                clinic=clinic,
                user=user,
                defaults={
                    "published": True,
                    "title": title,
                    "licence": user.credentials,
                    "licence_states": states,
                    "certifications": certificate,
                    "supervised_experience": supervised,
                    "integration_experience": integration,
                    "languages": languages,
                    "position": position,
                },
            )
    website = WebsiteSettings.for_clinic(clinic)
    if not website.guide_pdf:
        website.tagline = "Ketamine-assisted psychotherapy in Boston and Cambridge"
        website.phone = clinic.phone
        website.text_number = "+1 617 555 0149"
        website.email = clinic.email
        website.hours = "Monday to Friday, 8 am to 6 pm"
        fields, body = read(CONTENT / "guide.md")
        website.guide_title = fields["title"]
        website.guide_pdf.save(
            "guide.pdf", ContentFile(guide_pdf.from_markdown(fields["title"], body)), save=False
        )
        website.save()
    LeadSettings.objects.update_or_create(
        clinic=clinic, defaults={"response_target_hours": 4, "sms_number": "+16175550149"}
    )
    if Lead.objects.filter(clinic=clinic).exists():
        return
    now = timezone.now()
    for kind, name, email, phone, condition, hours_ago, message in LEADS:
        lead = create_lead(
            clinic, kind, message=message, name=name, email=email, phone=phone, condition=condition,
            preferred_contact="text" if kind == Kind.TEXT else ("email" if email else "phone"),
            text_consent_at=now if kind == Kind.TEXT else None,
            text_consent_source="texted the clinic first" if kind == Kind.TEXT else "",
        )  # fmt: skip
        at = now - timedelta(hours=hours_ago)
        Lead.objects.filter(pk=lead.pk).update(created_at=at, last_activity_at=at)
        lead.messages.update(at=at)
        if kind == Kind.COVERAGE:
            CoverageRequest.objects.create(
                lead=lead, payer_name="Harborview Health Plan", member_id="HHP448120937",
                group_number="77120", subscriber_name=name, subscriber_date_of_birth="1986-10-14",
                relationship="self",
            )  # fmt: skip
        if kind == Kind.SELF_SCREEN:
            Lead.objects.filter(pk=lead.pk).update(
                details={"self_screen": {"phq2": 4, "gad2": 3, "outcome": "worth_a_conversation",
                                         "outcome_label": "Worth a conversation", "flags": []}}
            )  # fmt: skip
        if kind == Kind.CALL:
            Lead.objects.filter(pk=lead.pk).update(status=Status.CONTACTED, assignee=demo.staff.get("intake"))
    demo.say(f"website pages and FAQs, the guide PDF, and {len(LEADS)} leads in the inbox")
