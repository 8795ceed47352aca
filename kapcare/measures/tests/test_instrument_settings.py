"""The clinic's instrument screens: its own alert rules, the reference SD for reliable change, and
importing a FHIR Questionnaire with an item-by-item report. Admins and prescribers only."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.measures.models import Instrument, SafetyAlert, record_response
from kapcare.measures.tests.conftest import phq9_answers
from kapcare.measures.tests.responses import FIXTURES, answers_for

SOURCE = "Riverside clinical governance, decision of 2026-11-02"


def rule_post(**changes):
    return {
        "code": "severe-anxiety",
        "label": "Severe anxiety: call the patient within a day",
        "level": "urgent",
        "target": "score:total",
        "op": ">=",
        "value": "15",
        "source": SOURCE,
    } | changes


def test_an_admin_adds_a_rule_and_a_result_that_meets_it_raises_an_alert(
    signed_in, admin, gad7, patient, course, mailoutbox
):
    response = signed_in(admin).post(reverse("measures:rule_add", args=[gad7.pk]), rule_post(), follow=True)
    assert "Rule severe-anxiety added" in response.content.decode()
    gad7.refresh_from_db()
    assert gad7.clinic_rules[0]["when"] == {"score": "total", "op": ">=", "value": 15}
    record_response(gad7, patient, _gad7(gad7, 15), via="link")
    alert = SafetyAlert.objects.get()
    assert alert.rule_code == "severe-anxiety" and alert.source == SOURCE
    assert mailoutbox  # the care team is told, as for the instrument's own flags
    assert AuditEvent.objects.filter(object_type="Instrument", detail__has_key="clinic_rule_added").exists()


def _gad7(gad7, total):
    scores = [min(3, max(0, total - 3 * i)) for i in range(7)]
    return answers_for(gad7.definition(), scores)


def test_a_rule_on_one_item_can_be_added(signed_in, prescriber, phq9):
    item = phq9.scoring["items"][0]["link_id"]
    signed_in(prescriber).post(
        reverse("measures:rule_add", args=[phq9.pk]),
        rule_post(code="anhedonia", level="attention", target=f"item:{item}", op="==", value="3"),
    )
    phq9.refresh_from_db()
    assert phq9.clinic_rules[0]["when"] == {"item": item, "op": "==", "value": 3}


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"source": ""}, "This field is required"),
        ({"code": "suicide-risk"}, "the code of one of the instrument&#x27;s own flags"),
        ({"target": "item:/not-an-item"}, "Select a valid choice"),
        ({"value": "lots"}, "Enter a number"),
    ],
)
def test_a_rule_that_cannot_be_used_is_refused_and_nothing_changes(signed_in, admin, phq9, changes, error):
    response = signed_in(admin).post(reverse("measures:rule_add", args=[phq9.pk]), rule_post(**changes))
    assert error in response.content.decode()
    phq9.refresh_from_db()
    assert phq9.clinic_rules == []


def test_a_second_rule_with_the_same_code_is_refused(signed_in, admin, phq9):
    client = signed_in(admin)
    client.post(reverse("measures:rule_add", args=[phq9.pk]), rule_post())
    response = client.post(reverse("measures:rule_add", args=[phq9.pk]), rule_post(label="Other"))
    assert "There is already a rule coded severe-anxiety" in response.content.decode()
    phq9.refresh_from_db()
    assert len(phq9.clinic_rules) == 1


def test_a_rule_is_removed_only_with_a_reason_which_is_recorded(signed_in, admin, phq9):
    client = signed_in(admin)
    client.post(reverse("measures:rule_add", args=[phq9.pk]), rule_post())
    url = reverse("measures:rule_remove", args=[phq9.pk])
    response = client.post(url, {"code": "severe-anxiety", "reason": ""})
    assert "a safety rule goes only with a reason" in response.content.decode()
    phq9.refresh_from_db()
    assert len(phq9.clinic_rules) == 1
    client.post(url, {"code": "severe-anxiety", "reason": "Replaced by the new protocol"})
    phq9.refresh_from_db()
    assert phq9.clinic_rules == []
    event = AuditEvent.objects.filter(detail__has_key="clinic_rule_removed").get()
    assert event.detail["reason"] == "Replaced by the new protocol"


def history(phq9, patient, totals):
    start = timezone.now() - timedelta(weeks=len(totals))
    for week, total in enumerate(totals):
        scores = [min(3, max(0, total - 3 * i)) for i in range(8)] + [0]
        record_response(
            phq9, patient, phq9_answers(scores), via="link", completed_at=start + timedelta(weeks=week)
        )


def test_the_reference_sd_lets_the_chart_judge_jacobson_truax_change(
    signed_in, prescriber, phq9, patient, course
):
    history(phq9, patient, [20, 14])
    client = signed_in(prescriber)
    panel = reverse("measures:panel", args=[patient.pk])
    assert "RC " not in client.get(panel).content.decode()  # no SD, no Jacobson–Truax
    client.post(
        reverse("measures:reference_sd", args=[phq9.pk]),
        {"sd": "5.0", "source": "Baseline SD of the clinic's 2025 TRD cohort (n = 212)"},
    )
    phq9.refresh_from_db()
    assert phq9.change_sd == 5 and "2025 TRD cohort" in phq9.change_sd_source
    body = client.get(panel).content.decode()
    # instruments.md §7: SD 5.0 and r 0.84 give S_diff 2.83, so 6 points are reliable.
    assert "RC -2.12, reliable from 6 points, reference SD 5.00" in body
    assert "2025 TRD cohort" in body
    assert AuditEvent.objects.filter(object_type="Instrument", detail__reference_sd=5).exists()


@pytest.mark.parametrize(
    "post, error",
    [
        ({"sd": "5", "source": ""}, "Say where the reference SD comes from"),
        ({"sd": "0", "source": "x"}, "The reference SD must be above 0"),
        ({"sd": "-3", "source": "x"}, "The reference SD must be above 0"),
    ],
)
def test_a_reference_sd_without_a_source_or_not_above_zero_is_refused(signed_in, admin, phq9, post, error):
    response = signed_in(admin).post(reverse("measures:reference_sd", args=[phq9.pk]), post)
    assert error in response.content.decode()
    phq9.refresh_from_db()
    assert phq9.change_sd is None


def test_an_instrument_without_jacobson_truax_takes_no_reference_sd(signed_in, admin, instruments):
    who5 = instruments["who-5"]
    response = signed_in(admin).post(
        reverse("measures:reference_sd", args=[who5.pk]), {"sd": "5", "source": "x"}
    )
    assert "has no Jacobson–Truax rule" in response.content.decode()
    who5.refresh_from_db()
    assert who5.change_sd is None


def test_the_reference_sd_can_be_cleared(signed_in, admin, phq9):
    client = signed_in(admin)
    url = reverse("measures:reference_sd", args=[phq9.pk])
    client.post(url, {"sd": "5", "source": "A sample"})
    client.post(url, {"sd": "", "source": ""})
    phq9.refresh_from_db()
    assert (phq9.change_sd, phq9.change_sd_source) == (None, "")


def test_the_settings_page_shows_the_instruments_own_flags_with_their_source(signed_in, admin, phq9):
    body = signed_in(admin).get(reverse("measures:instrument", args=[phq9.pk])).content.decode()
    assert "Thoughts of death or self-harm" in body and "instruments.md §1.1" in body
    assert "Test-retest r = 0.84" in body


# Importing by the staff page -------------------------------------------------------------


def upload(name, content: bytes):
    return SimpleUploadedFile(name, content, content_type="application/json")


def test_importing_an_lhc_forms_phq9_shows_the_report_item_by_item(signed_in, prescriber, clinic):
    data = (FIXTURES / "lhc-phq-9.questionnaire.json").read_bytes()
    response = signed_in(prescriber).post(reverse("measures:import"), {"file": upload("phq9.json", data)})
    body = response.content.decode()
    assert "Scored with kapcare's Patient Health Questionnaire-9 (PHQ-9) definition." in body
    assert "scored as Item 9" in body
    instrument = Instrument.objects.get(clinic=clinic)
    assert instrument.can_score and not instrument.is_shipped
    event = AuditEvent.objects.get(object_type="Instrument", action="create")
    assert event.actor == "prescriber@riverside.example"


def test_importing_reports_what_it_did_not_understand_per_item(signed_in, admin, clinic):
    data = (FIXTURES / "surprises.questionnaire.json").read_bytes()
    body = (
        signed_in(admin).post(reverse("measures:import"), {"file": upload("s.json", data)}).content.decode()
    )
    assert "Not scored:" in body
    assert "<code>photo</code>" in body and "item type &#x27;attachment&#x27; is not supported" in body
    assert "house-colour" in body  # an extension on the questionnaire itself
    assert "Nothing: fully understood" in body  # items it did understand say so


@pytest.mark.parametrize(
    "content, error",
    [
        (b"{not json", "The file is not JSON"),
        (b"[1, 2]", "not a FHIR resource"),
        (b'{"resourceType": "Patient"}', "Nothing was imported"),
        (b"\xff\xfe\x00", "The file is not text"),
    ],
)
def test_a_file_that_is_not_a_questionnaire_is_refused_and_nothing_is_stored(
    signed_in, admin, clinic, content, error
):
    response = signed_in(admin).post(reverse("measures:import"), {"file": upload("x.json", content)})
    assert error in response.content.decode()
    assert not Instrument.objects.filter(clinic=clinic).exists()


def test_a_nurse_may_not_change_the_clinics_instruments(signed_in, nurse, phq9):
    client = signed_in(nurse)
    assert client.get(reverse("measures:instruments")).status_code == 403
    assert client.post(reverse("measures:rule_add", args=[phq9.pk]), rule_post()).status_code == 403
    phq9.refresh_from_db()
    assert phq9.clinic_rules == []


def test_another_clinics_instrument_is_not_found(signed_in, outsider, phq9):
    client = signed_in(outsider)
    assert client.get(reverse("measures:instrument", args=[phq9.pk])).status_code == 404
    assert (
        client.post(reverse("measures:reference_sd", args=[phq9.pk]), {"sd": "5", "source": "x"}).status_code
        == 404
    )
