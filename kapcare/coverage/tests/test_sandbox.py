"""The sandbox clearinghouse answers 270s with realistic 271s for the demo payers and members."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from kapcare.coverage import sandbox
from kapcare.coverage.x12 import (
    Dependent,
    EligibilityInquiry,
    Subscriber,
    X12Error,
    behavioral_health_summary,
    build_270,
    parse_271,
)

AVERY = Subscriber("SAMPLE", "AVERY", "KCA100001", date(1985, 4, 12), "F")


def ask(
    subscriber=AVERY, payer_id="SBX-AETNA", service_type="MH", dependent=None, trace_number="TRACE0001"
) -> EligibilityInquiry:
    return EligibilityInquiry(
        provider_npi="1234567893",
        provider_name="RIVERBEND KETAMINE CLINIC",
        payer_id=payer_id,
        payer_name="DEMO PAYER",
        subscriber=subscriber,
        dependent=dependent,
        service_type=service_type,
        service_date=date(2026, 3, 2),
        created=datetime(2026, 3, 2, 10, 15),
        interchange_control_number=812,
        group_control_number=812,
        transaction_control_number="0812",
        trace_number=trace_number,
    )


def answer(inquiry: EligibilityInquiry):
    return parse_271(sandbox.respond(build_270(inquiry)))


def member(member_id: str) -> Subscriber:
    known = sandbox.TEST_MEMBERS[member_id]
    return Subscriber(known.last_name, known.first_name, member_id, known.birth_date, known.gender)


@pytest.mark.parametrize("payer_id", sorted(sandbox.PAYERS))
def test_every_demo_payer_answers_with_active_coverage(payer_id):
    response = answer(ask(payer_id=payer_id))
    payer = sandbox.PAYERS[payer_id]
    summary = behavioral_health_summary(response)
    assert response.information_source.name == payer.name
    assert (summary.status, summary.plan_name) == ("active", payer.plan_name)
    assert summary.coverage_begins == date(2026, 1, 1)
    assert summary.copays[0].amount == payer.copay
    assert summary.copays[0].network == "in network"


def test_the_demo_payers_are_the_clinics_six():
    names = {payer.name for payer in sandbox.PAYERS.values()}
    assert names == {
        "AETNA",
        "ANTHEM",
        "BLUE CROSS BLUE SHIELD",
        "CIGNA",
        "MAGELLAN HEALTHCARE",
        "CARELON BEHAVIORAL HEALTH",
    }


def test_active_member_gets_copay_coinsurance_deductible_and_out_of_pocket():
    summary = behavioral_health_summary(answer(ask()))
    office, telehealth = summary.copays
    assert (office.amount, office.places_of_service) == (Decimal(30), ["office"])
    assert (telehealth.amount, telehealth.places_of_service) == (
        Decimal(20),
        ["telehealth in the patient's home"],
    )
    (out_of_network,) = summary.coinsurance
    assert (out_of_network.percent, out_of_network.network) == (Decimal(40), "out of network")
    in_network, out_network = summary.deductibles
    assert (in_network.network, in_network.total, in_network.remaining, in_network.met) == (
        "in network",
        Decimal(1500),
        Decimal(1200),
        Decimal(300),
    )
    assert (out_network.network, out_network.total, out_network.remaining) == (
        "out of network",
        Decimal(3000),
        Decimal(3000),
    )
    (out_of_pocket,) = summary.out_of_pocket
    assert (out_of_pocket.total, out_of_pocket.remaining) == (Decimal(4000), Decimal(3100))
    assert summary.authorization_required is True
    assert summary.limitations == ["Psychotherapy: limited to 20 visits per service year."]


@pytest.mark.parametrize(
    ("asked", "cost_share_types"), [("A6", ["A6"]), ("98", ["98"]), ("30", ["MH", "A6", "A8"])]
)
def test_it_answers_for_the_service_type_asked(asked, cost_share_types):
    subscriber = answer(ask(service_type=asked)).subscriber
    active, copay = subscriber.benefits[:2]
    assert active.service_types[-1].code == asked
    assert [service.code for service in copay.service_types] == cost_share_types


def test_the_271_mirrors_the_270s_envelope_and_trace():
    response = answer(ask())
    envelope = response.envelope
    assert (
        envelope.interchange_control_number,
        envelope.group_control_number,
        envelope.transaction_control_number,
    ) == ("000000812", "812", "0812")
    assert (envelope.sender_id, envelope.receiver_id) == ("CLEARINGHOUSE", "KAPCARE")
    assert response.reference == "TRACE0001"
    assert response.subscriber.trace_numbers == ["TRACE0001"]
    assert response.receiver.id == "1234567893"


def test_answers_are_deterministic():
    request = build_270(ask())
    assert sandbox.respond(request) == sandbox.respond(request)


def test_inactive_member_ended_last_year():
    summary = behavioral_health_summary(answer(ask(member("KCA100002"))))
    assert (summary.status, summary.active) == ("inactive", False)
    assert summary.coverage_ends == date(2025, 12, 31)


@pytest.mark.parametrize(
    ("subscriber", "reason", "loop"),
    [
        (Subscriber("SAMPLE", "CASEY", "KCA100075", date(1990, 1, 15)), "75", "2100C"),
        (Subscriber("SAMPLE", "CASEY", "ZZZ999999999", date(1990, 1, 15)), "75", "2100C"),
        (Subscriber("SAMPLE", "CASEY", "KC1", date(1990, 1, 15)), "72", "2100C"),
        (Subscriber("SAMPLE", "CASEY", "KCA-100-001", date(1990, 1, 15)), "72", "2100C"),
        (Subscriber("SAMPLE", "AVERY", "KCA100001", date(1985, 4, 13)), "71", "2100C"),
        (Subscriber("SAMPLE", "HARPER", "KCA100042", date(1970, 2, 2)), "42", "2100A"),
    ],
)
def test_it_rejects_with_the_documented_reasons(subscriber, reason, loop):
    response = answer(ask(subscriber))
    (rejection,) = response.all_rejections()
    assert (rejection.reason.code, rejection.loop) == (reason, loop)
    summary = behavioral_health_summary(response)
    assert summary.status == "rejected" and rejection.what_to_fix in summary.lines[1]


def test_a_rejected_subscriber_is_echoed_back():
    subscriber = answer(ask(Subscriber("SAMPLE", "CASEY", "KCA100075", date(1990, 1, 15), "F"))).subscriber
    assert (subscriber.name, subscriber.member_id) == ("CASEY SAMPLE", "KCA100075")
    assert subscriber.birth_date == date(1990, 1, 15) and subscriber.benefits == []


def test_a_dependent_asked_about_comes_back_when_the_subscriber_is_not_found():
    emery = Dependent("SAMPLE", "EMERY", date(2010, 3, 8), "F", "19")
    nobody = Subscriber("SAMPLE", "DANA", "KCA100099", date(1982, 6, 1))
    subscriber = answer(ask(nobody, dependent=emery)).subscriber
    assert subscriber.rejections[0].reason.code == "75"
    (dependent,) = subscriber.dependents
    assert dependent.name == "EMERY SAMPLE" and dependent.trace_numbers == ["TRACE0001"]
    assert dependent.benefits == []


def test_an_unknown_payer_is_rejected_at_the_information_source():
    response = answer(ask(payer_id="NO-SUCH-PAYER"))
    (rejection,) = response.information_source.rejections
    assert rejection.reason.code == "79" and response.subscribers == []


def test_a_dependent_gets_family_benefits_at_the_dependent_level():
    emery = Dependent("SAMPLE", "EMERY", date(2010, 3, 8), "F", "19")
    response = answer(ask(member("KCA100003"), dependent=emery, service_type="A6"))
    subscriber = response.subscriber
    assert subscriber.benefits == [] and subscriber.trace_numbers == []
    (dependent,) = subscriber.dependents
    assert dependent.name == "EMERY SAMPLE" and dependent.relationship.meaning == "child"
    assert dependent.trace_numbers == ["TRACE0001"]
    summary = behavioral_health_summary(response)
    assert summary.patient_name == "EMERY SAMPLE" and summary.status == "active"
    assert summary.copays[0].coverage_level == "family"


def test_a_spouse_is_found_too():
    finley = Dependent("SAMPLE", "FINLEY", date(1983, 11, 20), "U", "01")
    dependent = answer(ask(member("KCA100003"), dependent=finley)).subscriber.dependents[0]
    assert dependent.relationship.meaning == "spouse" and dependent.benefits


def test_a_dependent_the_member_does_not_have_is_not_found():
    stranger = Dependent("SAMPLE", "ROWAN", date(2012, 1, 1), "M", "19")
    response = answer(ask(member("KCA100003"), dependent=stranger))
    (rejection,) = response.all_rejections()
    assert (rejection.reason.code, rejection.loop) == ("67", "2100D")


def test_a_carved_out_plan_names_the_behavioural_health_company():
    summary = behavioral_health_summary(answer(ask(member("KCA100004"), payer_id="SBX-ANTHEM")))
    assert summary.status == "active"
    assert summary.contacts == [
        "For mental health, psychotherapy, psychiatric - outpatient, contact CARELON "
        "BEHAVIORAL HEALTH (telephone 8005550199)"
    ]


def test_without_a_trace_number_there_is_no_trn():
    text = sandbox.respond(build_270(ask(trace_number="")))
    assert "TRN" not in text and parse_271(text).reference == "0812"


def test_a_malformed_270_raises_x12error():
    request = build_270(ask()).replace("SE*13*", "SE*14*")
    with pytest.raises(X12Error) as caught:
        sandbox.respond(request)
    assert caught.value.segment_id == "SE"


def test_every_test_member_is_documented():
    for member_id in sandbox.TEST_MEMBERS:
        assert member_id in sandbox.__doc__
    for payer_id in sandbox.PAYERS:
        assert payer_id in sandbox.__doc__
