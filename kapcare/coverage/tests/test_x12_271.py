"""Parsing 271 eligibility responses into structure, and the behavioural-health summary."""

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kapcare.coverage.x12 import (
    Code,
    X12Error,
    behavioral_health_summary,
    parse_271,
    parse_271s,
)

FIXTURES = Path(__file__).parent / "x12"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(newline="")


def parse_fixture(name: str):
    return parse_271(fixture(name))


def error_for(text: str) -> X12Error:
    with pytest.raises(X12Error) as caught:
        parse_271(text)
    return caught.value


def benefits_coded(member, code):
    return [benefit for benefit in member.benefits if benefit.code == code]


# A subscriber who is the patient.


def test_it_reads_the_control_numbers_of_every_envelope():
    envelope = parse_fixture("271_subscriber_active.x12").envelope
    assert envelope.interchange_control_number == "000004711"
    assert envelope.group_control_number == "4711"
    assert envelope.transaction_control_number == "0001"
    assert envelope.transaction_set == "271"
    assert envelope.implementation == "005010X279A1"
    assert (envelope.sender_id, envelope.receiver_id, envelope.usage) == ("CLEARINGHOUSE", "KAPCARE", "P")
    assert envelope.created == datetime(2026, 1, 15, 9, 31)


def test_it_reads_the_payer_and_the_provider():
    response = parse_fixture("271_subscriber_active.x12")
    payer, provider = response.information_source, response.receiver
    assert (payer.entity.code, payer.name, payer.id_qualifier, payer.id) == ("PR", "AETNA", "PI", "60054")
    assert payer.entity.meaning == "payer"
    assert payer.contacts[0].channels == {"telephone": "8005550100", "web address": "WWW.EXAMPLE.COM"}
    assert (provider.entity.code, provider.name, provider.id) == (
        "1P",
        "RIVERBEND KETAMINE CLINIC",
        "1234567893",
    )
    assert response.reference == "TRACE0001"
    assert response.created == datetime(2026, 1, 15, 9, 31)


def test_it_reads_the_subscriber():
    subscriber = parse_fixture("271_subscriber_active.x12").subscriber
    assert subscriber.loop == "2000C"
    assert subscriber.name == "AVERY J SAMPLE"
    assert subscriber.member_id == "W123456789"
    assert subscriber.birth_date == date(1985, 4, 12) and subscriber.gender == "F"
    assert subscriber.address.line1 == "100 EXAMPLE STREET"
    assert (subscriber.address.city, subscriber.address.state, subscriber.address.postal_code) == (
        "SPRINGFIELD",
        "IL",
        "62701",
    )
    assert subscriber.group_number == "0123456"
    assert subscriber.group_name == "DEMO EMPLOYER GROUP"
    assert subscriber.plan_number == "PPO-OA-100"
    assert subscriber.plan_name == "OPEN ACCESS PPO"
    assert subscriber.relationship == Code("18", "self")
    assert subscriber.trace_numbers == ["TRACE0001", "CH2026011500042"]
    assert [(d.qualifier.meaning, d.start) for d in subscriber.dates] == [("plan begin", date(2026, 1, 1))]
    assert subscriber.dependents == []


def test_it_reads_every_benefit_with_its_plain_meaning():
    subscriber = parse_fixture("271_subscriber_active.x12").subscriber
    assert len(subscriber.benefits) == 16
    active = subscriber.benefits[0]
    assert (active.code, active.meaning) == ("1", "active coverage")
    assert active.coverage_level == Code("IND", "individual")
    assert [service.code for service in active.service_types] == ["30", "MH", "A6", "A8", "98"]
    assert active.service_types[2] == Code("A6", "psychotherapy")
    assert active.insurance_type.meaning == "preferred provider organization (PPO)"
    assert active.plan_description == "OPEN ACCESS PPO"
    assert active.messages == ["MENTAL HEALTH BENEFITS ARE ADMINISTERED BY THE PLAN"]
    assert active.position == 21


def test_it_reads_a_copay_with_its_place_of_service_and_message():
    office, telehealth = benefits_coded(parse_fixture("271_subscriber_active.x12").subscriber, "B")[:2]
    assert office.meaning == "co-payment"
    assert office.amount == Decimal("30") and office.percent is None
    assert office.time_period == Code("27", "visit")
    assert office.in_network == Code("Y", "in network")
    assert office.places_of_service == [Code("11", "office")]
    assert office.messages == ["OFFICE VISIT"]
    assert telehealth.amount == Decimal("20")
    assert telehealth.places_of_service[0].meaning == "telehealth in the patient's home"


def test_it_reads_coinsurance_as_a_fraction_with_its_network():
    in_network, out_of_network = benefits_coded(parse_fixture("271_subscriber_active.x12").subscriber, "A")
    assert in_network.percent == Decimal("0.1") and in_network.in_network.code == "Y"
    assert out_of_network.percent == Decimal("0.4")
    assert out_of_network.in_network == Code("N", "out of network")


def test_it_reads_quantities_authorisation_procedure_and_benefit_dates():
    subscriber = parse_fixture("271_subscriber_active.x12").subscriber
    limit = benefits_coded(subscriber, "F")[0]
    assert limit.quantity_qualifier == Code("VS", "visits") and limit.quantity == Decimal(20)
    assert limit.time_period.meaning == "service year"
    assert [(d.qualifier.code, d.start, d.end) for d in limit.dates] == [
        ("292", date(2026, 1, 1), date(2026, 12, 31))
    ]
    inpatient = [b for b in subscriber.benefits if b.service_types[0].code == "A7"][0]
    assert inpatient.authorization_required is True
    office_visit = benefits_coded(subscriber, "B")[-1]
    assert office_visit.procedure == ["HC", "99214"]
    assert office_visit.references[0].qualifier.meaning == "referral number"
    assert office_visit.references[0].value == "REF0042"


def test_subscriber_with_no_rejections_has_nothing_unparsed():
    response = parse_fixture("271_subscriber_active.x12")
    assert response.all_rejections() == [] and response.unparsed == []


# A dependent who is the patient.


def test_it_reads_a_dependent_under_the_subscriber():
    response = parse_fixture("271_dependent.x12")
    subscriber = response.subscriber
    assert subscriber.name == "DANA SAMPLE" and subscriber.benefits == []
    assert subscriber.group_number == "00889911"  # from REF 1L
    (dependent,) = subscriber.dependents
    assert response.patient is dependent
    assert dependent.loop == "2000D"
    assert dependent.name == "EMERY SAMPLE" and dependent.member_id == ""
    assert dependent.birth_date == date(2010, 3, 8)
    assert dependent.relationship == Code("19", "child")
    assert dependent.trace_numbers == ["DEP0052"]
    assert [(d.qualifier.meaning, d.start, d.end) for d in dependent.dates] == [
        ("plan", date(2026, 1, 1), date(2026, 12, 31))
    ]
    assert [benefit.code for benefit in dependent.benefits] == ["1", "B", "A", "C", "C", "I"]
    assert dependent.plan_name == "OPEN ACCESS PLUS"


# Rejections.


def test_it_reads_a_rejection_at_the_subscriber_with_what_to_fix():
    response = parse_fixture("271_subscriber_not_found.x12")
    (rejection,) = response.subscriber.rejections
    assert rejection.loop == "2100C"
    assert rejection.reason == Code("75", "subscriber not found")
    assert "member ID and date of birth" in rejection.what_to_fix
    assert rejection.follow_up == Code("C", "please correct and resubmit")
    assert rejection.request_valid is True
    assert rejection.position == 12
    assert response.all_rejections() == [rejection]
    assert response.subscriber.benefits == []


def test_it_reads_a_rejection_at_the_payer_level():
    response = parse_fixture("271_payer_unavailable.x12")
    assert response.receiver is None and response.subscribers == []
    (rejection,) = response.information_source.rejections
    assert rejection.loop == "2100A"
    assert rejection.reason.meaning == "unable to respond at current time"
    assert rejection.follow_up.code == "R"
    assert response.patient is None


# Unknown codes and segments are kept.


def test_it_keeps_unknown_codes_with_an_unknown_meaning():
    subscriber = parse_fixture("271_unknown_codes.x12").subscriber
    active, odd = subscriber.benefits
    assert active.service_types[1] == Code("Q9", "unknown code Q9")
    assert active.insurance_type == Code("ZZ", "unknown code ZZ")
    assert (odd.code, odd.meaning) == ("ZQ", "unknown code ZQ")
    assert odd.coverage_level == Code("XXX", "unknown code XXX")
    assert odd.time_period == Code("99", "unknown code 99")
    assert odd.quantity_qualifier == Code("Q1", "unknown code Q1")
    assert odd.in_network == Code("Z", "unknown code Z")
    (rejection,) = odd.rejections
    assert rejection.reason == Code("Z7", "unknown code Z7")
    assert rejection.follow_up == Code("Q", "unknown code Q")
    assert "Z7" in rejection.what_to_fix


def test_it_keeps_unknown_and_unmodelled_segments_with_their_loop_and_position():
    response = parse_fixture("271_unknown_codes.x12")
    kept = [(item.loop, item.position, item.segment_id, item.elements) for item in response.unparsed]
    assert kept == [
        ("2100B", 9, "PRV", ["PE", "PXC", "2084P0800X"]),
        ("2110C", 15, "HSD", ["VS", "20", "", "", "22", "1"]),
        ("2110C", 16, "ZZZ", ["SOMETHING", "NEW"]),
    ]


# Delimiters other than * ^ : ~


def test_it_reads_a_271_written_with_other_delimiters():
    subscriber = parse_fixture("271_pipe_delimiters.x12").subscriber
    active, copay = subscriber.benefits
    assert [service.code for service in active.service_types] == ["30", "MH", "A6"]
    assert copay.procedure == ["HC", "90837"]
    assert copay.places_of_service == [Code("02", "telehealth, not in the patient's home")]


# The 2120 loop: a behavioural-health carve-out company.


def test_it_reads_the_company_a_benefit_refers_to():
    subscriber = parse_fixture("271_carve_out.x12").subscriber
    contact = benefits_coded(subscriber, "U")[0]
    assert contact.meaning == "contact following entity for eligibility or benefit information"
    (company,) = contact.related_entities
    assert (company.entity.code, company.name, company.id) == ("PR", "CARELON BEHAVIORAL HEALTH", "CBH01")
    assert company.address.line1 == "PO BOX 1000" and company.address.state == "VA"
    assert company.contacts[0].name == "BEHAVIORAL HEALTH PROVIDER LINE"
    assert company.contacts[0].channels == {"telephone": "8005550199"}
    # After LE the benefit loop continues: the next EB belongs to the subscriber.
    assert subscriber.benefits[-1].amount == Decimal("35")


def test_it_refuses_a_2120_loop_that_is_never_closed():
    text = fixture("271_carve_out.x12").replace("LE*2120~\n", "").replace("SE*23*", "SE*22*")
    error = error_for(text)
    assert (error.segment_id, error.position) == ("EB", 23)
    assert "LS at segment 18 is not closed by LE" in error.message
    last_eb = "EB*B*IND*98*PS**27*35*****Y~\n"
    error = error_for(text.replace(last_eb, "").replace("SE*22*", "SE*21*"))
    assert error.segment_id == "SE" and "not closed by LE" in error.message


def test_it_reads_a_test_interchange_and_provider_references():
    response = parse_fixture("271_carve_out.x12")
    assert response.envelope.usage == "T"
    assert response.receiver.references[0].qualifier.code == "TJ"
    assert response.subscriber.gender == "U"


# Batches.


def test_it_reads_every_transaction_set_in_a_batch():
    text = fixture("271_subscriber_not_found.x12")
    second = (
        "ST*271*0076*005010X279A1~"
        + text.split("ST*271*0075*005010X279A1~")[1].split("SE*12*0075~")[0]
        + "SE*12*0076~"
    )
    batch = text.replace("GE*1*75~", second + "GE*2*75~")
    responses = parse_271s(batch)
    assert [r.envelope.transaction_control_number for r in responses] == ["0075", "0076"]
    error = error_for(batch)
    assert error.segment_id == "ST" and "parse_271s" in error.message


# Envelope and structure errors name the segment and its position.


def active_text() -> str:
    return fixture("271_subscriber_active.x12")


@pytest.mark.parametrize(
    ("old", "new", "segment_id", "position", "element", "words"),
    [
        ("IEA*1*000004711", "IEA*2*000004711", "IEA", 47, 1, "says 2 functional groups"),
        ("IEA*1*000004711", "IEA*1*000004712", "IEA", 47, 2, "does not match ISA13"),
        ("GE*1*4711", "GE*1*4712", "GE", 46, 2, "does not match GS06"),
        ("GE*1*4711", "GE*3*4711", "GE", 46, 1, "says 3 transaction sets"),
        ("SE*43*0001", "SE*44*0001", "SE", 45, 1, "but there are 43"),
        ("SE*43*0001", "SE*43*0002", "SE", 45, 2, "does not match ST02"),
        ("SE*43*0001", "SE*X*0001", "SE", 45, 1, "must be a count"),
        ("ST*271*0001*005010X279A1", "ST*270*0001*005010X279A1", "ST", 3, 1, "expected 271"),
        ("ST*271*0001*005010X279A1", "ST*271*0001*005010X222A1", "ST", 3, 3, "not 005010X279A1"),
        ("BHT*0022*11*TRACE0001*20260115*0931", "ZZZ*1", "ZZZ", 4, None, "BHT"),
        ("BHT*0022*11*TRACE0001*20260115*0931", "BHT*0022*11*T*20260115*2599", "BHT", 4, 5, "not a time"),
        ("HL*2*1*21*1", "HL*2*7*21*1", "HL", 8, 2, "information source HL"),
        ("HL*3*2*22*0", "HL*3*1*22*0", "HL", 10, 2, "information receiver HL"),
        ("HL*3*2*22*0", "HL*2*2*22*0", "HL", 10, 1, "used twice"),
        ("HL*3*2*22*0", "HL*3*2*24*0", "HL", 10, 3, "not one of 20, 21, 22, 23"),
        ("HL*3*2*22*0", "HL*3*2**0", "HL", 10, 3, "required"),
        ("NM1*PR*2*AETNA*****PI*60054", "NM1**2*AETNA*****PI*60054", "NM1", 6, 1, "required"),
        ("EB*B*IND*MH^A6^A8*PR**27*30*", "EB*B*IND*MH^A6^A8*PR**27*3O*", "EB", 23, 7, "not a number"),
        ("EB*A*IND*MH^A6^A8*PR**27**0.4", "EB*A*IND*MH^A6^A8*PR**27**NaN", "EB", 30, 8, "not a number"),
        ("EB*F*IND*A6***22***VS*20", "EB*F*IND*A6***22***VS*2E5", "EB", 39, 10, "not a number"),
        ("EB*C*IND*30***23*1500", "EB**IND*30***23*1500", "EB", 31, 1, "required"),
        ("DTP*346*D8*20260101", "DTP*346*D8*20260230", "DTP", 20, 3, "not a date"),
        (
            "DTP*292*RD8*20260101-20261231",
            "DTP*292*RD8*20261231-20260101",
            "DTP",
            40,
            3,
            "ends before it starts",
        ),
        ("DTP*292*RD8*20260101-20261231", "DTP*292*RD8*20260101", "DTP", 40, 3, "not a date"),
        ("DMG*D8*19850412*F", "DMG*D8*1985-04-12*F", "DMG", 18, 2, "not a date"),
    ],
)
def test_it_names_the_segment_and_position_of_a_fault(old, new, segment_id, position, element, words):
    assert old in active_text()
    error = error_for(active_text().replace(old, new, 1))
    assert (error.segment_id, error.position, error.element) == (segment_id, position, element)
    assert words in error.message


def test_it_refuses_a_subscriber_without_a_name():
    text = active_text().replace("NM1*IL*1*SAMPLE*AVERY*J***MI*W123456789~\n", "")
    text = text.replace("SE*43*0001", "SE*42*0001")
    error = error_for(text)
    assert (error.segment_id, error.position) == ("HL", 10)
    assert "subscriber (HL 3) has no NM1" in error.message and "2100C" in error.message


def test_it_refuses_a_transaction_without_an_information_source():
    text = fixture("271_payer_unavailable.x12")
    text = text.replace("HL*1**20*0~\nNM1*PR*2*MAGELLAN HEALTHCARE*****PI*01260~\n", "")
    text = text.replace("SE*6*0042", "SE*4*0042")
    error = error_for(text)
    assert error.segment_id == "SE" and "has no information source" in error.message


def test_it_refuses_a_271_that_stops_after_the_provider_without_a_rejection():
    text = fixture("271_subscriber_not_found.x12")
    text = text.split("HL*3*2*22*0~")[0] + "SE*7*0075~GE*1*75~IEA*1*000000075~"
    error = error_for(text)
    assert (error.segment_id, error.position) == ("SE", 9)
    assert "has no subscriber (HL level 22, loop 2000C)" in error.message


def test_it_refuses_a_271_that_stops_after_the_payer_without_a_rejection():
    text = fixture("271_payer_unavailable.x12").replace("AAA*Y**42*R~\n", "")
    error = error_for(text.replace("SE*6*", "SE*5*"))
    assert "information receiver" in error.message


def test_it_refuses_a_second_information_source():
    text = (
        fixture("271_payer_unavailable.x12")
        .replace("AAA*Y**42*R~", "AAA*Y**42*R~\nHL*2**20*0~\nNM1*PR*2*OTHER~")
        .replace("SE*6*", "SE*8*")
    )
    error = error_for(text)
    assert (error.segment_id, error.position) == ("HL", 8)


def test_it_refuses_an_interchange_cut_before_its_trailers():
    text = active_text().split("SE*43*0001~")[0]
    error = error_for(text)
    assert error.segment_id == "SE" and "truncated" in error.message


def test_it_refuses_segments_after_iea():
    error = error_for(active_text() + "ISA*00~")
    assert error.segment_id == "ISA" and error.position == 48


def test_it_refuses_an_interchange_without_a_functional_group():
    isa = active_text().splitlines()[0]
    error = error_for(isa + "\nIEA*0*000004711~")
    assert error.segment_id == "IEA" and "no functional group" in error.message


# The behavioural-health summary.


def test_summary_of_active_coverage_says_what_a_therapy_visit_costs():
    summary = behavioral_health_summary(parse_fixture("271_subscriber_active.x12"))
    assert (summary.status, summary.active) == ("active", True)
    assert summary.payer == "AETNA" and summary.patient_name == "AVERY J SAMPLE"
    assert summary.member_id == "W123456789" and summary.group_number == "0123456"
    assert summary.plan_name == "OPEN ACCESS PPO"
    assert summary.coverage_begins == date(2026, 1, 1) and summary.coverage_ends is None
    office = summary.copays[0]
    assert office.amount == Decimal(30) and office.network == "in network"
    assert [service.code for service in office.service_types] == ["MH", "A6", "A8"]
    assert office.places_of_service == ["office"]
    assert [share.percent for share in summary.coinsurance] == [Decimal(10), Decimal(40)]
    assert summary.coinsurance[1].network == "out of network"
    assert summary.authorization_required is True
    assert summary.limitations == ["Psychotherapy: limited to 20 visits per service year."]
    assert summary.in_network is None  # a 271 does not say whether the clinic is in network


def test_summary_works_out_deductible_met_and_remaining():
    summary = behavioral_health_summary(parse_fixture("271_subscriber_active.x12"))
    individual = summary.deductibles[0]
    assert (individual.network, individual.coverage_level, individual.period) == (
        "in network",
        "individual",
        "calendar year",
    )
    assert (individual.total, individual.remaining, individual.met) == (
        Decimal(1500),
        Decimal(1200),
        Decimal(300),
    )
    out_of_pocket = summary.out_of_pocket[0]
    assert (out_of_pocket.total, out_of_pocket.remaining) == (Decimal(4000), Decimal(3100))
    dependent = behavioral_health_summary(parse_fixture("271_dependent.x12"))
    family = dependent.deductibles[0]
    assert (family.coverage_level, family.total, family.met, family.remaining) == (
        "family",
        Decimal(2000),
        Decimal(500),
        Decimal(1500),
    )


def test_summary_lines_read_as_plain_sentences():
    lines = behavioral_health_summary(parse_fixture("271_subscriber_active.x12")).lines
    assert lines[0] == "Coverage is active (OPEN ACCESS PPO) from 1 January 2026."
    assert (
        "Mental health / psychotherapy / psychiatric - outpatient, in network (office): "
        "$30.00 copay per visit."
    ) in lines
    assert (
        "Mental health / psychotherapy / psychiatric - outpatient, out of network: you pay 40% (coinsurance)."
    ) in lines
    assert (
        "Deductible, in network, individual: $1,500.00 per calendar year; "
        "$1,200.00 remaining; $300.00 met so far."
    ) in lines


def test_summary_of_a_dependent_describes_the_dependent():
    summary = behavioral_health_summary(parse_fixture("271_dependent.x12"))
    assert summary.patient_name == "EMERY SAMPLE"
    assert summary.member_id == "U99887766"  # the subscriber's card
    assert summary.coverage_ends == date(2026, 12, 31)
    assert summary.not_covered == ["psychiatric - inpatient"]
    assert summary.copays[0].coverage_level == "family"
    assert "COPAY WAIVED FOR FIRST THREE VISITS" in summary.messages


def test_summary_of_inactive_coverage_says_when_it_ended():
    summary = behavioral_health_summary(parse_fixture("271_inactive.x12"))
    assert (summary.status, summary.active) == ("inactive", False)
    assert summary.coverage_ends == date(2025, 12, 31)
    assert summary.lines[0] == "Coverage is not active; it ended on 31 December 2025."


def test_summary_of_a_rejection_says_what_to_fix():
    summary = behavioral_health_summary(parse_fixture("271_subscriber_not_found.x12"))
    assert (summary.status, summary.active) == ("rejected", None)
    assert summary.lines[1] == (
        "The payer could not answer: subscriber not found. Check the "
        "member ID and date of birth, and that this is the right payer."
    )


def test_summary_names_the_carve_out_company_to_call():
    summary = behavioral_health_summary(parse_fixture("271_carve_out.x12"))
    assert summary.contacts == [
        "For mental health, psychotherapy, psychiatric - outpatient, contact CARELON "
        "BEHAVIORAL HEALTH (telephone 8005550199)"
    ]
    assert summary.coverage_ends == date(2026, 12, 31)


def test_summary_says_out_of_network_when_the_payer_rejects_for_it():
    text = fixture("271_subscriber_not_found.x12").replace("AAA*Y**75*C", "AAA*N**35*N")
    summary = behavioral_health_summary(parse_271(text))
    assert summary.in_network is False


@pytest.mark.parametrize("name", sorted(path.name for path in FIXTURES.glob("271_*.x12")))
def test_results_and_summaries_are_json_ready(name):
    response = parse_fixture(name)
    assert json.loads(json.dumps(response.to_dict()))["envelope"]["transaction_set"] == "271"
    summary = json.loads(json.dumps(behavioral_health_summary(response).to_dict()))
    assert summary["lines"]
