"""Verifying a coverage-verification lead's insurance from the inbox, and sending what we found."""

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from kapcare.coverage.eligibility import CheckFailed, check_lead
from kapcare.coverage.models import EligibilityCheck
from kapcare.leads.models import CoverageRequest, Kind, Lead


@pytest.fixture
def lead(clinic, aetna, coverage_settings):
    found = Lead.objects.create(
        clinic=clinic,
        kind=Kind.COVERAGE,
        name="Avery Sample",
        email="avery@example.com",
        phone="+16175550188",
        date_of_birth=date(1985, 4, 12),
    )
    CoverageRequest.objects.create(
        lead=found,
        payer_name="Aetna",
        payer_ref="Aetna",
        member_id="KCA100001",
        group_number="0012345",
        subscriber_name="Avery Sample",
        subscriber_date_of_birth=date(1985, 4, 12),
        relationship="self",
    )
    return found


def test_a_lead_check_asks_about_the_subscriber_and_is_kept_with_the_lead(lead, intake):
    check = check_lead(lead, by=intake)
    assert (check.lead_id, check.coverage, check.patient, check.status) == (lead.pk, None, None, "active")
    assert check.payer.name == "Aetna"
    # The plan type comes from the 271 (EB04 PR, a PPO), so the directory can answer for the network.
    assert check.in_network is True


def test_a_dependant_lead_needs_the_patients_date_of_birth(lead, intake):
    lead.coverage.relationship = "child"
    lead.coverage.save()
    lead.date_of_birth = None
    lead.save()
    with pytest.raises(CheckFailed, match="date of birth"):
        check_lead(lead, by=intake)
    assert not EligibilityCheck.objects.exists()


def test_a_payer_outside_the_directory_cannot_be_asked(lead, intake):
    lead.coverage.payer_name, lead.coverage.payer_ref = "Harborview Health Plan", ""
    lead.coverage.save()
    with pytest.raises(CheckFailed, match="Harborview Health Plan has no payer ID"):
        check_lead(lead, by=intake)


def test_run_check_from_the_lead_shows_the_summary(signed_in, intake, lead):
    client = signed_in(intake)
    response = client.post(
        reverse("coverage:lead_check", args=[lead.pk]), {"service_type": "MH"}, follow=True
    )
    body = response.content.decode()
    assert "Eligibility checked." in body
    assert "Is the coverage active?" in body and "Yes, since 1 January" in body
    assert "$30.00 copay in network (office)" in body
    assert "Send summary" in body


def test_the_lead_page_query_count_does_not_grow_with_checks(signed_in, intake, lead):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(intake)
    url = reverse("coverage:lead_check", args=[lead.pk])
    check_lead(lead, by=intake)
    client.get(url)  # the first request of a session does more
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(3):
        check_lead(lead, by=intake)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_the_summary_is_emailed_and_kept_in_the_leads_thread(signed_in, intake, lead):
    check_lead(lead, by=intake)
    client = signed_in(intake)
    page = client.get(reverse("coverage:lead_check", args=[lead.pk]))
    message = page.context["send_form"].initial["message"]
    assert message.startswith("Hello Avery,") and "not a promise of payment" in message and "988" in message
    response = client.post(
        reverse("coverage:lead_send", args=[lead.pk]), {"channel": "email", "message": message}
    )
    assert response.status_code == 302
    (sent,) = mail.outbox
    assert sent.to == ["avery@example.com"] and "Is the coverage active? Yes" in sent.body
    assert lead.messages.get(direction="out").body == message


def test_a_text_says_only_that_the_check_is_done(signed_in, intake, lead, sms_outbox):
    lead.text_consent_at = timezone.now()
    lead.save()
    check_lead(lead, by=intake)
    signed_in(intake).post(reverse("coverage:lead_send", args=[lead.pk]), {"channel": "text", "message": "x"})
    (text,) = sms_outbox
    assert "checked your insurance coverage" in text.body
    assert "Aetna" not in text.body and "$" not in text.body


def test_a_text_without_consent_is_refused_on_the_form(signed_in, intake, lead, sms_outbox):
    check_lead(lead, by=intake)
    response = signed_in(intake).post(
        reverse("coverage:lead_send", args=[lead.pk]), {"channel": "text", "message": "x"}
    )
    assert "has not agreed to texts" in response.content.decode()
    assert not sms_outbox and not lead.messages.exists()


def test_another_clinic_and_other_lead_kinds_get_not_found(signed_in, outsider, intake, lead, clinic):
    assert signed_in(outsider).get(reverse("coverage:lead_check", args=[lead.pk])).status_code == 404
    message = Lead.objects.create(clinic=clinic, kind=Kind.MESSAGE, name="Someone")
    assert signed_in(intake).get(reverse("coverage:lead_check", args=[message.pk])).status_code == 404


def test_a_nurse_may_not_run_a_lead_check(signed_in, nurse, lead):
    assert (
        signed_in(nurse)
        .post(reverse("coverage:lead_check", args=[lead.pk]), {"service_type": "MH"})
        .status_code
        == 403
    )
    assert not EligibilityCheck.objects.exists()


def test_the_coverage_list_shows_open_requests_with_their_latest_check(
    signed_in, billing, intake, lead, clinic
):
    check_lead(lead, by=intake)
    waiting = Lead.objects.create(
        clinic=clinic, kind=Kind.COVERAGE, name="Blake Sample", email="b@example.com"
    )
    CoverageRequest.objects.create(
        lead=waiting,
        payer_name="Cigna",
        member_id="W123",
        subscriber_name="Blake Sample",
        subscriber_date_of_birth=date(1979, 9, 30),
        relationship="self",
    )
    closed = Lead.objects.create(
        clinic=clinic, kind=Kind.COVERAGE, name="Closed Person", status="closed", close_reason="spam"
    )
    CoverageRequest.objects.create(
        lead=closed,
        payer_name="Aetna",
        member_id="X1",
        subscriber_name="Closed Person",
        subscriber_date_of_birth=date(1979, 9, 30),
        relationship="self",
    )
    body = signed_in(billing).get(reverse("coverage:leads")).content.decode()
    assert "Avery Sample" in body and "Blake Sample" in body and "Closed Person" not in body
    assert "See result" in body and "Run check" in body


def test_the_coverage_list_query_count_does_not_grow(signed_in, intake, lead, clinic):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(intake)
    client.get(reverse("coverage:leads"))  # the first request of a session does more
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("coverage:leads"))
    for n in range(3):
        extra = Lead.objects.create(
            clinic=clinic, kind=Kind.COVERAGE, name=f"Person {n}", email="p@example.com"
        )
        CoverageRequest.objects.create(
            lead=extra,
            payer_name="Aetna",
            member_id="KCA100001",
            subscriber_name="Avery Sample",
            subscriber_date_of_birth=date(1985, 4, 12),
            relationship="self",
        )
        check_lead(extra, by=intake)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("coverage:leads"))
    assert len(many) == len(few)


def test_checks_from_the_enquiry_show_on_the_chart_once_the_lead_is_a_patient(signed_in, intake, lead, avery):
    check_lead(lead, by=intake)
    lead.patient = avery
    lead.save()
    body = signed_in(intake).get(reverse("coverage:panel", args=[avery.pk])).content.decode()
    assert "(from the enquiry)" in body and "Aetna" in body


def test_the_leads_own_page_offers_the_eligibility_check_on_coverage_leads_only(
    signed_in, intake, lead, clinic
):
    from kapcare.leads.views import lead_actions

    client = signed_in(intake)
    check_url = reverse("coverage:lead_check", kwargs={"pk": lead.pk})
    page = client.get(reverse("leads:detail", kwargs={"pk": lead.pk})).text
    assert f'href="{check_url}">Run eligibility check</a>' in page
    message = Lead.objects.create(
        clinic=clinic, kind=Kind.MESSAGE, name="Juno Marsh", email="juno@example.com"
    )
    assert "Run eligibility check" not in client.get(reverse("leads:detail", kwargs={"pk": message.pk})).text
    assert lead_actions(lead, "nurse") == []  # a role that may not run checks is not offered one
