"""Building 270 eligibility inquiries, and reading them back."""

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from kapcare.coverage.x12 import (
    BEHAVIORAL_HEALTH_SERVICE_TYPES,
    Delimiters,
    Dependent,
    EligibilityInquiry,
    InquiryError,
    Subscriber,
    X12Error,
    build_270,
    is_valid_npi,
    parse_270,
    read_interchange,
    tokenize,
)

FIXTURES = Path(__file__).parent / "x12"

AVERY = Subscriber("SAMPLE", "AVERY", "W123456789", date(1985, 4, 12), "F")
EMERY = Dependent("SAMPLE", "EMERY", date(2010, 3, 8), "F", "19")


def inquiry(**changes) -> EligibilityInquiry:
    fields = dict(
        provider_npi="1234567893",
        provider_name="RIVERBEND KETAMINE CLINIC",
        payer_id="60054",
        payer_name="AETNA",
        subscriber=AVERY,
        service_type="MH",
        service_date=date(2026, 1, 15),
        created=datetime(2026, 1, 15, 9, 30),
        interchange_control_number=4711,
        group_control_number=4711,
        transaction_control_number="0001",
        trace_number="TRACE0001",
    )
    return EligibilityInquiry(**(fields | changes))


def test_it_builds_a_subscriber_270_with_the_implementation_guide_structure():
    assert build_270(inquiry(), line_breaks=True) == (
        "ISA*00*          *00*          *ZZ*KAPCARE        *ZZ*CLEARINGHOUSE  *260115*0930*^*"
        "00501*000004711*0*P*:~\n"
        "GS*HS*KAPCARE*CLEARINGHOUSE*20260115*0930*4711*X*005010X279A1~\n"
        "ST*270*0001*005010X279A1~\n"
        "BHT*0022*13*TRACE0001*20260115*0930~\n"
        "HL*1**20*1~\n"
        "NM1*PR*2*AETNA*****PI*60054~\n"
        "HL*2*1*21*1~\n"
        "NM1*1P*2*RIVERBEND KETAMINE CLINIC*****XX*1234567893~\n"
        "HL*3*2*22*0~\n"
        "TRN*1*TRACE0001*9123456789~\n"
        "NM1*IL*1*SAMPLE*AVERY****MI*W123456789~\n"
        "DMG*D8*19850412*F~\n"
        "DTP*291*D8*20260115~\n"
        "EQ*MH~\n"
        "SE*13*0001~\n"
        "GE*1*4711~\n"
        "IEA*1*000004711~\n"
    )


def test_it_builds_a_dependent_270_with_the_question_at_the_dependent():
    text = build_270(inquiry(dependent=EMERY))
    _, segments = tokenize(text)
    ids = [segment[0] for segment in segments]
    assert ids == [
        "ISA",
        "GS",
        "ST",
        "BHT",
        "HL",
        "NM1",
        "HL",
        "NM1",
        "HL",
        "NM1",
        "DMG",
        "HL",
        "TRN",
        "NM1",
        "DMG",
        "INS",
        "DTP",
        "EQ",
        "SE",
        "GE",
        "IEA",
    ]
    assert segments[8] == ["HL", "3", "2", "22", "1"]  # the subscriber has a child level
    assert segments[11] == ["HL", "4", "3", "23", "0"]
    assert segments[13] == ["NM1", "03", "1", "SAMPLE", "EMERY"]
    assert segments[15] == ["INS", "N", "19"]


def test_it_leaves_out_trace_and_demographics_it_was_not_given():
    quiet = inquiry(trace_number="", subscriber=replace(AVERY, birth_date=None, gender=""))
    text = build_270(quiet)
    assert "TRN" not in text and "DMG" not in text
    assert "BHT*0022*13*0001*" in text  # the transaction control number stands in
    assert "DMG*D8*19850412~" in build_270(inquiry(subscriber=replace(AVERY, gender="")))


@pytest.mark.parametrize("patient", ["subscriber", "dependent"])
def test_a_270_round_trips_through_the_parser(patient):
    asked = inquiry(dependent=EMERY if patient == "dependent" else None, usage="T")
    assert parse_270(build_270(asked)) == asked


def test_envelopes_agree_with_each_other():
    (transaction,) = read_interchange(build_270(inquiry(dependent=EMERY)))
    envelope = transaction.envelope
    assert envelope.transaction_set == "270"
    assert envelope.implementation == "005010X279A1"
    assert envelope.interchange_control_number == "000004711"
    assert envelope.group_control_number == "4711"
    assert transaction.segments[-1] == ["SE", str(len(transaction.segments)), "0001"]


def test_it_writes_with_the_delimiters_it_is_given():
    pipes = Delimiters("|", "!", ">", "~")
    text = build_270(inquiry(), delimiters=pipes)
    assert text.startswith("ISA|00|") and "|!|00501|" in text and text[104:106] == ">~"
    assert parse_270(text) == inquiry()


@pytest.mark.parametrize("service_type", BEHAVIORAL_HEALTH_SERVICE_TYPES)
def test_it_asks_about_each_behavioural_health_service_type(service_type):
    assert f"EQ*{service_type}~" in build_270(inquiry(service_type=service_type))


@pytest.mark.parametrize("service_type", ["1", "88", "A5", "BB", "", "MH^A6", "mh"])
def test_it_refuses_other_service_types(service_type):
    with pytest.raises(InquiryError) as caught:
        build_270(inquiry(service_type=service_type))
    assert caught.value.field == "service_type"
    assert "30, MH, A4, A6, A7, A8, AJ, AK, 98" in str(caught.value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"provider_npi": "1234567890"}, "provider_npi"),
        ({"provider_npi": "123456789"}, "provider_npi"),
        ({"interchange_control_number": 0}, "interchange_control_number"),
        ({"interchange_control_number": 1_000_000_000}, "interchange_control_number"),
        ({"group_control_number": "12"}, "group_control_number"),
        ({"transaction_control_number": "01"}, "transaction_control_number"),
        ({"transaction_control_number": "00*1"}, "transaction_control_number"),
        ({"usage": "X"}, "usage"),
        ({"payer_id": " "}, "payer_id"),
        ({"payer_name": "AETNA~ISA"}, "payer_name"),
        ({"provider_name": "CLÍNICA"}, "provider_name"),
        ({"provider_name": "X" * 61}, "provider_name"),
        ({"sender_id": "A" * 16}, "sender_id"),
        ({"trace_number": "T*1"}, "trace_number"),
        ({"subscriber": replace(AVERY, member_id="")}, "subscriber.member_id"),
        ({"subscriber": replace(AVERY, last_name="")}, "subscriber.last_name"),
        ({"subscriber": replace(AVERY, first_name="A:B")}, "subscriber.first_name"),
        ({"subscriber": replace(AVERY, gender="X")}, "subscriber.gender"),
        ({"subscriber": replace(AVERY, birth_date=None)}, "subscriber.gender"),
        ({"dependent": replace(EMERY, relationship="18")}, "dependent.relationship"),
        ({"dependent": replace(EMERY, birth_date=None)}, "dependent.birth_date"),
        ({"dependent": replace(EMERY, first_name=" ")}, "dependent.first_name"),
        ({"dependent": replace(EMERY, gender="female")}, "dependent.gender"),
        ({"dependent": replace(EMERY, last_name="SAMPLE^JR")}, "dependent.last_name"),
    ],
)
def test_it_refuses_input_it_cannot_send_and_names_the_field(changes, field):
    with pytest.raises(InquiryError) as caught:
        build_270(inquiry(**changes))
    assert caught.value.field == field


def test_npi_check_digit():
    assert is_valid_npi("1234567893")
    assert not is_valid_npi("1234567894")
    assert not is_valid_npi("12345678９3")


def test_it_reads_a_270_written_elsewhere():
    asked = parse_270((FIXTURES / "270_dependent.x12").read_text())
    assert asked == EligibilityInquiry(
        provider_npi="1234567893",
        provider_name="RIVERBEND KETAMINE CLINIC",
        payer_id="62308",
        payer_name="CIGNA",
        subscriber=Subscriber("SAMPLE", "DANA", "U99887766"),
        dependent=Dependent("SAMPLE", "EMERY", date(2010, 3, 8), "F", "19"),
        service_type="A6",
        service_date=date(2026, 2, 3),
        created=datetime(2026, 2, 3, 14, 4),
        interchange_control_number=52,
        group_control_number=52,
        transaction_control_number="1052",
        trace_number="DEP0052",
        sender_id="RIVERBEND",
        receiver_id="CLEARINGHOUSE",
        usage="T",
    )
    assert asked.patient == asked.dependent


def test_parse_270_refuses_a_271():
    text = (FIXTURES / "271_inactive.x12").read_text()
    with pytest.raises(X12Error) as caught:
        parse_270(text)
    assert (caught.value.segment_id, caught.value.element) == ("ST", 1)


def test_parse_270_refuses_an_inquiry_without_a_question():
    text = build_270(inquiry()).replace("EQ*MH~", "").replace("SE*13*", "SE*12*")
    with pytest.raises(X12Error) as caught:
        parse_270(text)
    assert caught.value.segment_id == "SE" and "EQ" in caught.value.message


def test_parse_270_refuses_two_questions():
    text = build_270(inquiry()).replace("EQ*MH~", "EQ*MH~EQ*A6~").replace("SE*13*", "SE*14*")
    with pytest.raises(X12Error) as caught:
        parse_270(text)
    assert (caught.value.segment_id, caught.value.position) == ("EQ", 15)


def test_parse_270_refuses_a_patient_level_without_a_name():
    text = build_270(inquiry()).replace("NM1*IL*1*SAMPLE*AVERY****MI*W123456789~", "")
    text = text.replace("SE*13*", "SE*12*")
    with pytest.raises(X12Error) as caught:
        parse_270(text)
    assert (caught.value.segment_id, caught.value.position) == ("HL", 9)
