"""Running a check: what is sent, what is stored (whole or not at all), and what it means."""

from datetime import date, timedelta

import pytest

from kapcare.audit.models import AuditEvent
from kapcare.coverage import sandbox
from kapcare.coverage.clearinghouse import ClearinghouseError, X12HttpsClearinghouse
from kapcare.coverage.eligibility import CheckFailed, check_coverage, x12_text
from kapcare.coverage.models import ControlNumber, Coverage, EligibilityCheck, PlanType
from kapcare.coverage.x12 import parse_270


class Replay:
    """A clearinghouse that answers with fixed text, as a broken payer might."""

    name = "replay"
    sends_our_270 = True

    def __init__(self, text: str):
        self.text = text

    def exchange(self, inquiry, request_270):
        return self.text


def test_a_check_stores_the_raw_270_and_271_the_result_and_who_ran_it(avery_coverage, intake):
    check = check_coverage(avery_coverage, by=intake)
    stored = EligibilityCheck.objects.get()
    assert stored.pk == check.pk
    assert stored.request_270.startswith("ISA*") and "EQ*MH~" in stored.request_270
    assert stored.response_271.startswith("ISA*") and "ST*271" in stored.response_271
    assert (stored.status, stored.clearinghouse, stored.ran_by, stored.service_type) == (
        "active",
        "sandbox",
        intake,
        "MH",
    )
    assert stored.result["summary"]["plan_name"] == "AETNA OPEN ACCESS PPO"
    assert stored.result["response"]["information_source"]["name"] == "AETNA"
    assert (stored.coverage, stored.patient) == (avery_coverage, avery_coverage.patient)


def test_the_270_asks_about_the_patient_as_subscriber_with_the_clinics_npi(avery_coverage, intake):
    check = check_coverage(avery_coverage, by=intake, service_type="A6")
    asked = parse_270(check.request_270)
    assert (asked.subscriber.first_name, asked.subscriber.last_name) == ("AVERY", "SAMPLE")
    assert (asked.subscriber.member_id, asked.subscriber.birth_date) == ("KCA100001", date(1985, 4, 12))
    assert asked.subscriber.gender == "F"
    assert (asked.provider_npi, asked.payer_id, asked.service_type) == ("1234567893", "SBX-AETNA", "A6")
    assert asked.dependent is None


def test_a_dependent_is_asked_about_under_the_subscriber(clinic, aetna, coverage_settings, intake):
    from kapcare.patients.models import Patient

    emery = Patient.objects.create(
        clinic=clinic,
        legal_first_name="Emery",
        legal_last_name="Sample",
        date_of_birth=date(2010, 3, 8),
        sex_at_birth="female",
    )
    coverage = Coverage.objects.create(
        clinic=clinic,
        patient=emery,
        payer=aetna,
        plan_type=PlanType.PPO,
        member_id="KCA100003",
        relationship="child",
        subscriber_first_name="Dana",
        subscriber_last_name="Sample",
        subscriber_date_of_birth=date(1982, 6, 1),
    )
    check = check_coverage(coverage, by=intake)
    asked = parse_270(check.request_270)
    assert (asked.subscriber.first_name, asked.dependent.first_name, asked.dependent.relationship) == (
        "DANA",
        "EMERY",
        "19",
    )
    assert check.status == "active"
    assert check.result["summary"]["patient_name"] == "EMERY SAMPLE"


def test_control_numbers_come_from_a_sequence_per_clinic(clinic, other_clinic):
    assert [ControlNumber.next_for(clinic.pk) for _ in range(3)] == [1, 2, 3]
    assert ControlNumber.next_for(other_clinic.pk) == 1
    assert ControlNumber.next_for(clinic.pk) == 4


def test_each_check_takes_the_next_control_number_and_sends_it_in_every_envelope(avery_coverage, intake):
    first = check_coverage(avery_coverage, by=intake)
    second = check_coverage(avery_coverage, by=intake)
    assert (first.control_number, second.control_number) == (1, 2)
    assert "*000000002*" in second.request_270 and "ST*270*0002*" in second.request_270
    assert second.trace_number == f"KAP{avery_coverage.clinic_id}-2"


def test_a_271_that_cannot_be_read_stores_nothing_and_says_where_it_broke(avery_coverage, intake):
    truncated = Replay(
        "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*KAPCARE        *260115*0931*^*00501*000004711*0*P*:~GS*HB*CLEARINGHOUSE*KAPCARE*20260115*0931*4711*X*005010X279A1~ST*271*0001*005010X279A1~BHT*0022*11*X"
    )
    with pytest.raises(CheckFailed) as raised:
        check_coverage(avery_coverage, by=intake, clearinghouse=truncated)
    assert "could not be read, so nothing was kept" in raised.value.message
    assert raised.value.error["segment_id"] == "BHT" and raised.value.error["position"] == 4
    assert not EligibilityCheck.objects.exists()


def test_a_271_with_a_wrong_segment_count_stores_nothing(avery_coverage, intake):
    class Miscounting(Replay):
        def exchange(self, inquiry, request_270):
            return sandbox.respond(request_270).replace("~\nSE*", "~\nSE*9")

    with pytest.raises(CheckFailed, match="SE01 says"):
        check_coverage(avery_coverage, by=intake, clearinghouse=Miscounting(""))
    assert not EligibilityCheck.objects.exists()


def test_an_answer_to_another_inquiry_is_refused(avery_coverage, intake):
    answer = check_coverage(avery_coverage, by=intake).response_271
    with pytest.raises(CheckFailed, match="for another inquiry"):
        check_coverage(avery_coverage, by=intake, clearinghouse=Replay(answer))
    assert EligibilityCheck.objects.count() == 1


def test_a_failed_check_is_audited_as_a_disclosure_without_a_result(avery_coverage, intake):
    with pytest.raises(CheckFailed):
        check_coverage(avery_coverage, by=intake, clearinghouse=Replay("not x12 at all"))
    event = AuditEvent.objects.filter(action="export").get()
    assert (event.actor, event.patient_id) == (intake.email, avery_coverage.patient_id)
    assert event.detail["eligibility_check"] == "failed"


def test_a_successful_check_is_audited_with_the_patient(avery_coverage, intake):
    check = check_coverage(avery_coverage, by=intake)
    event = AuditEvent.objects.filter(action="create", object_type="EligibilityCheck").get()
    assert (event.object_id, event.patient_id, event.clinic_id) == (
        str(check.pk),
        avery_coverage.patient_id,
        avery_coverage.clinic_id,
    )
    assert event.detail["clearinghouse"] == "sandbox"


def test_a_clearinghouse_that_cannot_be_reached_stores_nothing(avery_coverage, intake):
    def unreachable(url, body, headers, timeout):
        raise ClearinghouseError("The clearinghouse could not be reached (timed out); try again shortly.")

    hub = X12HttpsClearinghouse("https://hub.example/x12", "", unreachable)
    with pytest.raises(CheckFailed, match="could not be reached"):
        check_coverage(avery_coverage, by=intake, clearinghouse=hub)
    assert not EligibilityCheck.objects.exists()


def test_a_check_needs_the_clinics_billing_npi(avery_coverage, intake, coverage_settings):
    coverage_settings.billing_npi = ""
    coverage_settings.save()
    with pytest.raises(CheckFailed, match="billing NPI"):
        check_coverage(avery_coverage, by=intake)
    assert not EligibilityCheck.objects.exists()


def test_a_payer_without_a_payer_id_cannot_be_asked(avery_coverage, aetna, intake):
    aetna.payer_id = ""
    aetna.save()
    with pytest.raises(CheckFailed, match="Aetna has no payer ID"):
        check_coverage(avery_coverage, by=intake)


def test_in_network_comes_from_the_payer_directory(avery_coverage, aetna, intake):
    check = check_coverage(avery_coverage, by=intake)
    assert check.in_network is True
    assert "Yes: the clinic is in network with Aetna PPO plans." in check.result["answers"][1]["answer"]
    aetna.network_plan_types = ["hmo"]
    aetna.save()
    check = check_coverage(avery_coverage, by=intake)
    assert check.in_network is False
    assert "only for HMO plans, not PPO" in check.result["answers"][1]["answer"]


def test_the_plain_answers_cover_activity_cost_and_deductible(avery_coverage, intake):
    answers = {
        row["question"]: row["answer"] for row in check_coverage(avery_coverage, by=intake).result["answers"]
    }
    assert answers["Is the coverage active?"] == f"Yes, since 1 January {date.today().year}."
    visit = answers["What does a psychotherapy or outpatient psychiatric visit cost?"]
    assert "$30.00 copay in network (office)" in visit
    assert "40% coinsurance out of network" in visit
    assert answers["How much of the deductible is met?"].startswith(
        "$300.00 of $1,500.00 met, $1,200.00 left (in network, individual)"
    )


def test_a_rejection_says_what_to_fix(clinic, aetna, coverage_settings, patient, intake):
    coverage = Coverage.objects.create(
        clinic=clinic, patient=patient, payer=aetna, plan_type="ppo", member_id="ZZZ999999"
    )
    check = check_coverage(coverage, by=intake)
    assert check.status == "rejected"
    answer = check.result["answers"][0]["answer"]
    assert answer.startswith("The payer could not answer: subscriber not found.")
    assert "member ID" in answer


def test_a_carve_out_names_the_company_to_call(clinic, aetna, carelon, coverage_settings, intake):
    from kapcare.patients.models import Patient

    aetna.carve_out = carelon
    aetna.save()
    gray = Patient.objects.create(
        clinic=clinic,
        legal_first_name="Gray",
        legal_last_name="Sample",
        date_of_birth=date(1995, 5, 5),
        sex_at_birth="female",
    )
    coverage = Coverage.objects.create(
        clinic=clinic, patient=gray, payer=aetna, plan_type="ppo", member_id="KCA100004"
    )
    answers = {
        row["question"]: row["answer"] for row in check_coverage(coverage, by=intake).result["answers"]
    }
    assert (
        "managed by Carelon Behavioral Health; the clinic is in network with them"
        in answers["Is the clinic in network?"]
    )
    assert "contact CARELON BEHAVIORAL HEALTH" in answers["Who else to call?"]


def test_names_are_sent_as_plain_capitals_without_delimiters():
    assert x12_text("Zoë O'Brien*Smith~") == "ZOE O'BRIEN SMITH"


def test_a_check_older_than_the_limit_is_old(avery_coverage, intake):
    check = check_coverage(avery_coverage, by=intake)
    assert not check.is_older_than(30)
    check.ran_at -= timedelta(days=31)
    assert check.is_older_than(30)
