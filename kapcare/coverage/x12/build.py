"""Write X12: the 270 eligibility inquiry, and the envelopes around any transaction set."""

import re
from datetime import date, datetime

from kapcare.lib.npi import is_valid_npi

from .codes import BEHAVIORAL_HEALTH_SERVICE_TYPES, GENDERS, INQUIRY_RELATIONSHIPS
from .errors import InquiryError
from .inquiry import EligibilityInquiry
from .segments import STANDARD_DELIMITERS, Delimiters, Segment, join_segments

IMPLEMENTATION = "005010X279A1"
FUNCTIONAL_IDS = {"270": "HS", "271": "HB"}  # GS01 for each transaction set
# Printable ASCII, as the X12 extended character set allows; delimiters are checked apart.
TEXT = re.compile(r"[ -~]*")
TRANSACTION_CONTROL = re.compile(r"[0-9A-Za-z]{4,9}")


def build_270(
    inquiry: EligibilityInquiry, delimiters: Delimiters = STANDARD_DELIMITERS, line_breaks: bool = False
) -> str:
    """Write a 005010X279A1 270 for one patient and one behavioural-health service type."""
    _check_inquiry(inquiry, delimiters)
    return write_interchange(
        _body_270(inquiry),
        transaction_set="270",
        transaction_control_number=inquiry.transaction_control_number,
        group_control_number=inquiry.group_control_number,
        interchange_control_number=inquiry.interchange_control_number,
        sender_id=inquiry.sender_id,
        receiver_id=inquiry.receiver_id,
        created=inquiry.created,
        usage=inquiry.usage,
        delimiters=delimiters,
        line_breaks=line_breaks,
    )


def _body_270(inquiry: EligibilityInquiry) -> list[Segment]:
    subscriber, dependent = inquiry.subscriber, inquiry.dependent
    body = [
        [
            "BHT",
            "0022",
            "13",
            inquiry.trace_number or inquiry.transaction_control_number,
            _ccyymmdd(inquiry.created),
            _hhmm(inquiry.created),
        ],
        ["HL", "1", "", "20", "1"],
        ["NM1", "PR", "2", inquiry.payer_name, "", "", "", "", "PI", inquiry.payer_id],
        ["HL", "2", "1", "21", "1"],
        ["NM1", "1P", "2", inquiry.provider_name, "", "", "", "", "XX", inquiry.provider_npi],
        ["HL", "3", "2", "22", "1" if dependent else "0"],
    ]
    if dependent is None:
        body += _trace(inquiry)
    body.append(
        [
            "NM1",
            "IL",
            "1",
            subscriber.last_name,
            subscriber.first_name,
            "",
            "",
            "",
            "MI",
            subscriber.member_id,
        ]
    )
    body += _demographics(subscriber.birth_date, subscriber.gender)
    if dependent is None:
        return body + _question(inquiry)
    body.append(["HL", "4", "3", "23", "0"])
    body += _trace(inquiry)
    body.append(["NM1", "03", "1", dependent.last_name, dependent.first_name])
    body += _demographics(dependent.birth_date, dependent.gender)
    body.append(["INS", "N", dependent.relationship])
    return body + _question(inquiry)


def _trace(inquiry: EligibilityInquiry) -> list[Segment]:
    """The clinic's trace number, at the patient's level, for matching the 271 to the 270."""
    if not inquiry.trace_number:
        return []
    # TRN03 names who assigned the trace: "9" then nine characters of the clinic's
    # choosing; the NPI without its check digit is unique enough and needs no setup.
    return [["TRN", "1", inquiry.trace_number, "9" + inquiry.provider_npi[:9]]]


def _demographics(birth_date: date | None, gender: str) -> list[Segment]:
    if birth_date is None:
        return []
    return [_trim(["DMG", "D8", _ccyymmdd(birth_date), gender])]


def _question(inquiry: EligibilityInquiry) -> list[Segment]:
    return [["DTP", "291", "D8", _ccyymmdd(inquiry.service_date)], ["EQ", inquiry.service_type]]


def write_interchange(
    body: list[Segment],
    *,
    transaction_set: str,
    transaction_control_number: str,
    group_control_number: int,
    interchange_control_number: int,
    sender_id: str,
    receiver_id: str,
    created: datetime,
    usage: str = "P",
    delimiters: Delimiters = STANDARD_DELIMITERS,
    line_breaks: bool = False,
) -> str:
    """Wrap a transaction set body (BHT onwards) in ST/SE, GS/GE and ISA/IEA and write it."""
    segments = envelope_segments(
        body,
        transaction_set=transaction_set,
        transaction_control_number=transaction_control_number,
        group_control_number=group_control_number,
        interchange_control_number=interchange_control_number,
        sender_id=sender_id,
        receiver_id=receiver_id,
        created=created,
        usage=usage,
        delimiters=delimiters,
    )
    return join_segments(segments, delimiters, line_breaks)


def envelope_segments(
    body: list[Segment],
    *,
    transaction_set: str,
    transaction_control_number: str,
    group_control_number: int,
    interchange_control_number: int,
    sender_id: str,
    receiver_id: str,
    created: datetime,
    usage: str = "P",
    delimiters: Delimiters = STANDARD_DELIMITERS,
) -> list[Segment]:
    """The whole interchange as segments, with counts and control numbers that agree."""
    isa = [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        sender_id.ljust(15),
        "ZZ",
        receiver_id.ljust(15),
        _ccyymmdd(created)[2:],
        _hhmm(created),
        delimiters.repetition,
        "00501",
        f"{interchange_control_number:09d}",
        "0",
        usage,
        delimiters.component,
    ]
    gs = [
        "GS",
        FUNCTIONAL_IDS[transaction_set],
        sender_id,
        receiver_id,
        _ccyymmdd(created),
        _hhmm(created),
        str(group_control_number),
        "X",
        IMPLEMENTATION,
    ]
    st = ["ST", transaction_set, transaction_control_number, IMPLEMENTATION]
    se = ["SE", str(len(body) + 2), transaction_control_number]
    return [
        isa,
        gs,
        st,
        *body,
        se,
        ["GE", "1", str(group_control_number)],
        ["IEA", "1", f"{interchange_control_number:09d}"],
    ]


def _check_inquiry(inquiry: EligibilityInquiry, delimiters: Delimiters) -> None:
    if inquiry.service_type not in BEHAVIORAL_HEALTH_SERVICE_TYPES:
        raise InquiryError(
            "service_type",
            f"{inquiry.service_type!r} is not a behavioural-"
            "health service type; ask for exactly one of " + ", ".join(BEHAVIORAL_HEALTH_SERVICE_TYPES),
        )
    if not is_valid_npi(inquiry.provider_npi):
        raise InquiryError(
            "provider_npi",
            f"{inquiry.provider_npi!r} is not a valid NPI (10 digits with a correct check digit)",
        )
    _check_control_numbers(inquiry)
    _check_people(inquiry)
    _check_text(inquiry, delimiters)


def _check_control_numbers(inquiry: EligibilityInquiry) -> None:
    for name in ("interchange_control_number", "group_control_number"):
        value = getattr(inquiry, name)
        if not isinstance(value, int) or not 0 < value <= 999_999_999:
            raise InquiryError(name, f"{value!r} must be a whole number from 1 to 999999999")
    if not TRANSACTION_CONTROL.fullmatch(inquiry.transaction_control_number):
        raise InquiryError(
            "transaction_control_number",
            f"{inquiry.transaction_control_number!r} must be 4 to 9 letters or digits",
        )
    if inquiry.usage not in ("P", "T"):
        raise InquiryError("usage", "must be P (production) or T (test)")


def _check_people(inquiry: EligibilityInquiry) -> None:
    subscriber, dependent = inquiry.subscriber, inquiry.dependent
    for name in ("provider_name", "payer_id", "payer_name"):
        if not getattr(inquiry, name).strip():
            raise InquiryError(name, "is required")
    for name in ("last_name", "first_name", "member_id"):
        if not getattr(subscriber, name).strip():
            raise InquiryError(f"subscriber.{name}", "is required")
    _check_gender("subscriber", subscriber.gender, subscriber.birth_date)
    if dependent is None:
        return
    for name in ("last_name", "first_name"):
        if not getattr(dependent, name).strip():
            raise InquiryError(f"dependent.{name}", "is required")
    if not isinstance(dependent.birth_date, date):
        raise InquiryError("dependent.birth_date", "is required to find a dependent")
    _check_gender("dependent", dependent.gender, dependent.birth_date)
    if dependent.relationship not in INQUIRY_RELATIONSHIPS:
        raise InquiryError("dependent.relationship", "must be 01 (spouse), 19 (child) or 34 (other adult)")


def _check_gender(person: str, gender: str, birth_date: date | None) -> None:
    if gender not in ("", *GENDERS):
        raise InquiryError(f"{person}.gender", "must be F, M, U or blank")
    if gender and birth_date is None:
        # DMG carries the gender after the date of birth; it cannot travel alone.
        raise InquiryError(f"{person}.gender", "can only be sent with a date of birth")


def _check_text(inquiry: EligibilityInquiry, delimiters: Delimiters) -> None:
    """Refuse characters that would break the X12 or that payers cannot read."""
    values = {
        "provider_name": (inquiry.provider_name, 60),
        "payer_id": (inquiry.payer_id, 80),
        "payer_name": (inquiry.payer_name, 60),
        "trace_number": (inquiry.trace_number, 50),
        "sender_id": (inquiry.sender_id, 15),
        "receiver_id": (inquiry.receiver_id, 15),
        "subscriber.last_name": (inquiry.subscriber.last_name, 60),
        "subscriber.first_name": (inquiry.subscriber.first_name, 35),
        "subscriber.member_id": (inquiry.subscriber.member_id, 80),
    }
    if inquiry.dependent:
        values["dependent.last_name"] = (inquiry.dependent.last_name, 60)
        values["dependent.first_name"] = (inquiry.dependent.first_name, 35)
    for name, (value, longest) in values.items():
        if len(value) > longest:
            raise InquiryError(name, f"is {len(value)} characters; the most X12 allows is {longest}")
        if not TEXT.fullmatch(value) or any(char in value for char in delimiters):
            raise InquiryError(
                name,
                f"{value!r} holds a character X12 cannot carry here "
                f"(one of {''.join(delimiters)!r} or a non-ASCII character)",
            )
    if inquiry.trace_number and not inquiry.trace_number.strip():
        raise InquiryError("trace_number", "must not be blank")


def _ccyymmdd(moment: date) -> str:
    return f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"


def _hhmm(moment: datetime) -> str:
    return f"{moment.hour:02d}{moment.minute:02d}"


def _trim(segment: Segment) -> Segment:
    # X12 leaves trailing empty elements off rather than sending "DMG*D8*19800101*~".
    while segment and segment[-1] == "":
        segment.pop()
    return segment
