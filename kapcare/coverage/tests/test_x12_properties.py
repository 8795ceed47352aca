"""Property tests: generated 271s parse; mangled ones always fail with a located X12Error.

A mangled interchange (truncated, wrong delimiters, control numbers or counts that disagree,
unknown segments, stray characters) must never crash the reader with anything but X12Error,
and the error must name a segment and its position.
"""

import string
from datetime import date, datetime

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kapcare.coverage.x12 import (
    BEHAVIORAL_HEALTH_SERVICE_TYPES,
    Delimiters,
    Dependent,
    EligibilityInquiry,
    Subscriber,
    X12Error,
    behavioral_health_summary,
    build_270,
    parse_270,
    parse_271,
)
from kapcare.coverage.x12.build import envelope_segments
from kapcare.coverage.x12.codes import BENEFIT_CODES, SERVICE_TYPES
from kapcare.coverage.x12.segments import join_segments

CHECKS = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
# Characters that never appear in generated data ("." and "-" do, in amounts and dates).
DELIMITER_POOL = "*|^:~!>{}#$%&+;=?@`\\"

words = st.text(string.ascii_uppercase, min_size=1, max_size=12)
ids = st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=15)
days = st.dates(date(1900, 1, 1), date(2099, 12, 31))
amounts = st.decimals(0, 100_000, places=2, allow_nan=False, allow_infinity=False)
fractions = st.decimals(0, 1, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def delimiters(draw) -> Delimiters:
    element, repetition, component = draw(
        st.lists(st.sampled_from(DELIMITER_POOL), min_size=3, max_size=3, unique=True)
    )
    terminator = draw(
        st.sampled_from(
            [char for char in DELIMITER_POOL + "\n" if char not in (element, repetition, component)]
        )
    )
    return Delimiters(element, repetition, component, terminator)


def trim(segment: list[str]) -> list[str]:
    while segment[-1] == "":
        segment.pop()
    return segment


@st.composite
def benefit(draw, marks: Delimiters) -> tuple[list[list[str]], dict]:
    """One 2110 loop: an EB and some of MSG, III, DTP, REF and a 2120 entity."""
    code = draw(st.sampled_from([*BENEFIT_CODES, "ZQ"]))
    services = draw(st.lists(st.sampled_from([*SERVICE_TYPES, "Q9"]), max_size=4))
    amount = draw(st.none() | amounts)
    percent = draw(st.none() | fractions)
    eb = trim(
        [
            "EB",
            code,
            draw(st.sampled_from(["", "IND", "FAM"])),
            marks.repetition.join(services),
            draw(st.sampled_from(["", "PR", "HM", "C1"])),
            draw(st.just("") | words),
            draw(st.sampled_from(["", "23", "27", "29", "24"])),
            "" if amount is None else str(amount),
            "" if percent is None else str(percent),
            "VS",
            str(draw(st.integers(0, 99))),
            draw(st.sampled_from(["", "Y", "N", "U"])),
            draw(st.sampled_from(["", "Y", "N", "U", "W"])),
            draw(st.sampled_from(["", marks.component.join(["HC", "90837"])])),
        ]
    )
    extras = draw(
        st.lists(
            st.sampled_from(
                [
                    ["MSG", "SEE PLAN DOCUMENTS"],
                    ["III", "ZZ", "11"],
                    ["DTP", "292", "D8", "20260101"],
                    ["REF", "G1", "PA123"],
                    ["AAA", "N", "", "53", "C"],
                ]
            ),
            max_size=4,
        )
    )
    if draw(st.booleans()):
        extras += [
            ["LS", "2120"],
            ["NM1", "PR", "2", draw(words)],
            ["PER", "IC", "", "TE", "8005550199"],
            ["LE", "2120"],
        ]
    expected = {"code": code, "service_types": services, "amount": amount, "percent": percent}
    return [eb, *extras], expected


@st.composite
def response_271(draw):
    """A valid 271 interchange as segments, the delimiters, and what it should parse to."""
    marks = draw(delimiters())
    loops = draw(st.lists(benefit(marks), max_size=6))
    dependent_loops = draw(st.none() | st.lists(benefit(marks), max_size=3))
    body = [
        ["BHT", "0022", "11", draw(ids), "20260115", "0930"],
        ["HL", "1", "", "20", "1"],
        ["NM1", "PR", "2", draw(words), "", "", "", "", "PI", draw(ids)],
        ["HL", "2", "1", "21", "1"],
        ["NM1", "1P", "2", draw(words), "", "", "", "", "XX", "1234567893"],
        ["HL", "3", "2", "22", "0" if dependent_loops is None else "1"],
        ["NM1", "IL", "1", draw(words), draw(words), "", "", "", "MI", draw(ids)],
        ["DMG", "D8", draw(days).strftime("%Y%m%d"), draw(st.sampled_from("FMU"))],
    ]
    body += [segment for segments, _ in loops for segment in segments]
    if dependent_loops is not None:
        body += [["HL", "4", "3", "23", "0"], ["NM1", "03", "1", draw(words), draw(words)]]
        body += [segment for segments, _ in dependent_loops for segment in segments]
    segments = envelope_segments(
        body,
        transaction_set="271",
        transaction_control_number=draw(st.text(string.digits, min_size=4, max_size=9)),
        group_control_number=draw(st.integers(1, 999_999_999)),
        interchange_control_number=draw(st.integers(1, 999_999_999)),
        sender_id=draw(ids),
        receiver_id=draw(ids),
        created=datetime(2026, 1, 15, 9, 30),
        delimiters=marks,
    )
    expected = {
        "subscriber": [e for _, e in loops],
        "dependent": None if dependent_loops is None else [e for _, e in dependent_loops],
    }
    return segments, marks, expected


def located(error: X12Error) -> bool:
    return (
        isinstance(error.segment_id, str)
        and error.segment_id != ""
        and isinstance(error.position, int)
        and error.position >= 1
        and error.segment_id in str(error)
        and f"segment {error.position}" in str(error)
    )


def parse_error(text: str) -> X12Error:
    try:
        parse_271(text)
    except X12Error as error:
        assert located(error), error
        return error
    raise AssertionError("a mangled 271 was read without an error")


def benefits_match(member, expected) -> None:
    assert [benefit.code for benefit in member.benefits] == [e["code"] for e in expected]
    for benefit, wanted in zip(member.benefits, expected, strict=True):
        assert [service.code for service in benefit.service_types] == wanted["service_types"]
        assert benefit.amount == wanted["amount"] and benefit.percent == wanted["percent"]
        assert benefit.meaning  # a known meaning, or "unknown code X"


@CHECKS
@given(response_271())
def test_generated_271s_parse_into_the_benefits_they_hold(generated):
    segments, marks, expected = generated
    response = parse_271(join_segments(segments, marks))
    benefits_match(response.subscriber, expected["subscriber"])
    if expected["dependent"] is None:
        assert response.subscriber.dependents == []
    else:
        benefits_match(response.subscriber.dependents[0], expected["dependent"])
    assert behavioral_health_summary(response).lines
    assert response.to_dict()["envelope"]["transaction_set"] == "271"


@CHECKS
@given(response_271(), st.data())
def test_truncated_271s_fail_with_a_located_error(generated, data):
    segments, marks, _ = generated
    text = join_segments(segments, marks).rstrip("\n")
    cut = data.draw(st.integers(0, len(text) - 1 if marks.segment != "\n" else len(text) - 1))
    parse_error(text[:cut])


@CHECKS
@given(response_271(), st.data())
def test_a_body_written_with_another_element_separator_fails(generated, data):
    segments, marks, _ = generated
    text = join_segments(segments, marks)
    other = data.draw(st.sampled_from([c for c in DELIMITER_POOL if c not in marks]))
    error = parse_error(text[:106] + text[106:].replace(marks.element, other))
    assert error.position == 2  # GS is the first segment after ISA


@CHECKS
@given(response_271(), st.data())
def test_an_isa_declaring_other_delimiters_fails(generated, data):
    segments, marks, _ = generated
    text = join_segments(segments, marks)
    # The element separator and the terminator shape every segment; changing either in ISA
    # alone must fail. (Another repetition or component separator can still be valid.)
    index = data.draw(st.sampled_from([3, 105]))
    other = data.draw(st.sampled_from([c for c in DELIMITER_POOL if c not in marks]))
    mangled = text[:index] + other + text[index + 1 :]
    error = parse_error(mangled)
    assert error.position >= 1


@CHECKS
@given(response_271(), st.sampled_from(["SE", "GE", "IEA"]))
def test_control_numbers_that_disagree_fail_naming_the_trailer(generated, trailer):
    segments, marks, _ = generated
    segment = next(s for s in segments if s[0] == trailer)
    segment[2] = str(int(segment[2]) + 1).zfill(len(segment[2]))
    error = parse_error(join_segments(segments, marks))
    assert (error.segment_id, error.element) == (trailer, 2)


@CHECKS
@given(
    response_271(),
    st.sampled_from(["SE", "GE", "IEA"]),
    st.integers(-3, 3).filter(lambda change: change != 0),
)
def test_counts_that_disagree_fail_naming_the_trailer(generated, trailer, change):
    segments, marks, _ = generated
    segment = next(s for s in segments if s[0] == trailer)
    assume(int(segment[1]) + change >= 0)
    segment[1] = str(int(segment[1]) + change)
    error = parse_error(join_segments(segments, marks))
    assert (error.segment_id, error.position, error.element) == (trailer, segments.index(segment) + 1, 1)


unknown_ids = st.from_regex(r"Z[A-Z0-9]{1,2}", fullmatch=True)


@CHECKS
@given(response_271(), st.data(), unknown_ids)
def test_an_unknown_segment_is_kept_with_its_position(generated, data, segment_id):
    segments, marks, _ = generated
    index = data.draw(st.integers(4, len(segments) - 3))  # after BHT, before SE
    segments.insert(index, [segment_id, "NEW", "THING"])
    se = next(s for s in segments if s[0] == "SE")
    se[1] = str(int(se[1]) + 1)
    response = parse_271(join_segments(segments, marks))
    kept = [item for item in response.unparsed if item.segment_id == segment_id]
    assert [(item.position, item.elements) for item in kept] == [(index + 1, ["NEW", "THING"])]


@CHECKS
@given(response_271(), st.data(), unknown_ids)
def test_an_unknown_segment_without_a_new_count_fails_at_se(generated, data, segment_id):
    segments, marks, _ = generated
    index = data.draw(st.integers(4, len(segments) - 3))
    segments.insert(index, [segment_id, "NEW"])
    assert parse_error(join_segments(segments, marks)).segment_id == "SE"


@CHECKS
@given(response_271(), st.data())
def test_stray_edits_either_parse_or_fail_with_a_located_error(generated, data):
    segments, marks, _ = generated
    text = join_segments(segments, marks)
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(text) - 1))
        char = data.draw(st.sampled_from(DELIMITER_POOL + "\n\r A0Z9.-"))
        edit = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        after = index + 1 if edit != "insert" else index
        text = text[:index] + ("" if edit == "delete" else char) + text[after:]
    try:
        response = parse_271(text)
    except X12Error as error:
        assert located(error), error
    else:
        behavioral_health_summary(response)
        response.to_dict()


@CHECKS
@given(st.text(max_size=300))
def test_arbitrary_text_fails_with_a_located_error(text):
    try:
        parse_271(text)
    except X12Error as error:
        assert located(error), error


@CHECKS
@given(
    subscriber=st.builds(Subscriber, words, words, ids, days, st.sampled_from(["", "F", "M", "U"]))
    | st.builds(Subscriber, words, words, ids),
    dependent=st.none()
    | st.builds(
        Dependent,
        words,
        words,
        days,
        st.sampled_from(["", "F", "M", "U"]),
        st.sampled_from(["01", "19", "34"]),
    ),
    service_type=st.sampled_from(BEHAVIORAL_HEALTH_SERVICE_TYPES),
    marks=delimiters(),
    numbers=st.tuples(
        st.integers(1, 999_999_999),
        st.integers(1, 999_999_999),
        st.text(string.digits, min_size=4, max_size=9),
    ),
    trace=st.just("") | ids,
    when=st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)),
)
def test_every_270_round_trips(subscriber, dependent, service_type, marks, numbers, trace, when):
    asked = EligibilityInquiry(
        provider_npi="1234567893",
        provider_name="RIVERBEND KETAMINE CLINIC",
        payer_id="60054",
        payer_name="AETNA",
        subscriber=subscriber,
        dependent=dependent,
        service_type=service_type,
        service_date=when.date(),
        created=when.replace(second=0, microsecond=0),
        interchange_control_number=numbers[0],
        group_control_number=numbers[1],
        transaction_control_number=numbers[2],
        trace_number=trace,
    )
    assert parse_270(build_270(asked, delimiters=marks)) == asked
