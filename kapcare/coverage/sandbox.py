"""A local sandbox clearinghouse: answers a 270 with a realistic 271, with no network.

It is the default eligibility backend for development, demos and tests. Answers are
deterministic: the same 270 always gets the same 271 (dates follow the 270's date of service).

Demo payers (payer ID -> name). The IDs are invented so they cannot reach a real payer:

    SBX-AETNA     Aetna                    SBX-CIGNA     Cigna
    SBX-ANTHEM    Anthem                   SBX-MAGELLAN  Magellan Healthcare
    SBX-BCBS      Blue Cross Blue Shield   SBX-CARELON   Carelon Behavioral Health

Test members (the same at every demo payer; names are invented):

    member ID  name           born        answer
    KCA100001  Avery Sample   1985-04-12  active; behavioural-health copay, coinsurance,
                                          deductible and out-of-pocket, in and out of network
    KCA100002  Blake Sample   1979-09-30  inactive: coverage ended on 31 December last year
    KCA100003  Dana Sample    1982-06-01  active subscriber with dependents Emery Sample
                                          (child, 2010-03-08) and Finley Sample (spouse,
                                          1983-11-20); ask for either as the dependent
    KCA100004  Gray Sample    1995-05-05  active; mental health carved out to Carelon
                                          Behavioral Health (EB U with a 2120 loop)
    KCA100042  Harper Sample  1970-02-02  payer unavailable (AAA 42 at 2100A): try later

    any other ID of 6-20 letters and digits   subscriber not found (AAA 75)
    an ID with other characters, or too short  invalid member ID (AAA 72)
    a test member with another date of birth   date of birth mismatch (AAA 71)
    a dependent the member does not have       patient not found (AAA 67 at 2100D)
    a payer ID not listed above                invalid participant (AAA 79 at 2100A)
"""

import re
from dataclasses import dataclass, field
from datetime import date

from .x12 import Dependent, EligibilityInquiry, parse_270, write_interchange
from .x12.segments import Segment

MEMBER_ID = re.compile(r"[A-Z0-9]{6,20}")


@dataclass(frozen=True)
class SandboxPayer:
    """A demo payer and the plan every test member holds with it."""

    payer_id: str
    name: str
    plan_name: str
    insurance_type: str  # EB04: PR PPO, HM HMO, PS POS
    copay: int
    telehealth_copay: int
    coinsurance_out_of_network: str  # EB08 fraction
    deductible: int
    deductible_met: int
    out_of_pocket: int
    out_of_pocket_met: int
    visit_limit: int = 0


@dataclass(frozen=True)
class TestMember:
    member_id: str
    last_name: str
    first_name: str
    birth_date: date
    gender: str
    scenario: str  # active, inactive, carve_out, unavailable
    group_number: str = "0012345"
    group_name: str = "SANDBOX EMPLOYER GROUP"
    dependents: tuple[Dependent, ...] = field(default=())


PAYERS = {
    payer.payer_id: payer
    for payer in (
        SandboxPayer(
            "SBX-AETNA",
            "AETNA",
            "AETNA OPEN ACCESS PPO",
            "PR",
            30,
            20,
            "0.4",
            1500,
            300,
            4000,
            900,
            visit_limit=20,
        ),
        SandboxPayer(
            "SBX-ANTHEM", "ANTHEM", "ANTHEM BLUE ACCESS PPO", "PR", 35, 25, "0.5", 2000, 450, 5000, 1200
        ),
        SandboxPayer(
            "SBX-BCBS",
            "BLUE CROSS BLUE SHIELD",
            "BLUE CHOICE PPO",
            "PR",
            25,
            25,
            "0.4",
            1000,
            1000,
            3500,
            1500,
        ),
        SandboxPayer("SBX-CIGNA", "CIGNA", "CIGNA OPEN ACCESS PLUS", "PS", 40, 30, "0.5", 2500, 0, 6000, 0),
        SandboxPayer(
            "SBX-MAGELLAN",
            "MAGELLAN HEALTHCARE",
            "MAGELLAN BEHAVIORAL HEALTH PPO",
            "PR",
            20,
            20,
            "0.3",
            500,
            100,
            3000,
            400,
            visit_limit=30,
        ),
        SandboxPayer(
            "SBX-CARELON",
            "CARELON BEHAVIORAL HEALTH",
            "CARELON BEHAVIORAL HEALTH PPO",
            "PR",
            25,
            15,
            "0.4",
            750,
            200,
            3500,
            600,
        ),
    )
}
CARVE_OUT = ("CARELON BEHAVIORAL HEALTH", "SBX-CARELON", "8005550199")

TEST_MEMBERS = {
    member.member_id: member
    for member in (
        TestMember("KCA100001", "SAMPLE", "AVERY", date(1985, 4, 12), "F", "active"),
        TestMember("KCA100002", "SAMPLE", "BLAKE", date(1979, 9, 30), "M", "inactive"),
        TestMember(
            "KCA100003",
            "SAMPLE",
            "DANA",
            date(1982, 6, 1),
            "M",
            "active",
            dependents=(
                Dependent("SAMPLE", "EMERY", date(2010, 3, 8), "F", "19"),
                Dependent("SAMPLE", "FINLEY", date(1983, 11, 20), "U", "01"),
            ),
        ),
        TestMember("KCA100004", "SAMPLE", "GRAY", date(1995, 5, 5), "F", "carve_out"),
        TestMember("KCA100042", "SAMPLE", "HARPER", date(1970, 2, 2), "M", "unavailable"),
    )
}


def respond(request_270: str) -> str:
    """Answer a 270 (X12 text) with a 271 (X12 text). A malformed 270 raises X12Error."""
    inquiry = parse_270(request_270)
    return write_interchange(
        _body(inquiry),
        transaction_set="271",
        transaction_control_number=inquiry.transaction_control_number,
        group_control_number=inquiry.group_control_number,
        interchange_control_number=inquiry.interchange_control_number,
        sender_id=inquiry.receiver_id,
        receiver_id=inquiry.sender_id,
        created=inquiry.created,
        usage=inquiry.usage,
        line_breaks=True,
    )


def _body(inquiry: EligibilityInquiry) -> list[Segment]:
    payer = PAYERS.get(inquiry.payer_id)
    member = TEST_MEMBERS.get(inquiry.subscriber.member_id.upper())
    header = [
        "BHT",
        "0022",
        "11",
        inquiry.trace_number or inquiry.transaction_control_number,
        _day(inquiry.created),
        f"{inquiry.created:%H%M}",
    ]
    source = [
        "NM1",
        "PR",
        "2",
        payer.name if payer else inquiry.payer_name,
        "",
        "",
        "",
        "",
        "PI",
        inquiry.payer_id,
    ]
    # A rejection at 2100A ends the answer there, so the source HL has no children (HL04 0).
    if payer is None:
        return [header, ["HL", "1", "", "20", "0"], source, ["AAA", "Y", "", "79", "C"]]
    if member and member.scenario == "unavailable":
        return [header, ["HL", "1", "", "20", "0"], source, ["AAA", "Y", "", "42", "R"]]
    return [
        header,
        ["HL", "1", "", "20", "1"],
        source,
        ["PER", "IC", "PROVIDER SERVICES", "TE", "8005550100"],
        ["HL", "2", "1", "21", "1"],
        ["NM1", "1P", "2", inquiry.provider_name, "", "", "", "", "XX", inquiry.provider_npi],
        *_subscriber(inquiry, payer, member),
    ]


def _subscriber(inquiry: EligibilityInquiry, payer: SandboxPayer, member: TestMember | None) -> list[Segment]:
    asked = inquiry.subscriber
    rejection = _subscriber_rejection(asked.member_id, asked.birth_date, member)
    segments = [["HL", "3", "2", "22", "1" if inquiry.dependent else "0"]]
    if not inquiry.dependent:
        segments += _trace(inquiry)
    if rejection:
        # The payer echoes what it was asked, then says why it cannot answer.
        segments.append(_name("IL", asked.last_name, asked.first_name, asked.member_id))
        segments.append(["AAA", "Y" if rejection == "75" else "N", "", rejection, "C"])
        return segments + _dmg(asked.birth_date, asked.gender) + _echo_dependent(inquiry)
    segments += [
        _name("IL", member.last_name, member.first_name, member.member_id),
        ["REF", "6P", member.group_number, member.group_name],
        ["N3", "100 SANDBOX WAY"],
        ["N4", "EXAMPLETON", "IL", "62701"],
        *_dmg(member.birth_date, member.gender),
    ]
    if inquiry.dependent is None:
        return segments + _coverage(inquiry, payer, member.scenario, "IND")
    return segments + _dependent(inquiry, payer, member)


def _echo_dependent(inquiry: EligibilityInquiry) -> list[Segment]:
    """After a 2100C rejection the dependent asked about still comes back, with its trace."""
    asked = inquiry.dependent
    if asked is None:
        return []
    return [
        ["HL", "4", "3", "23", "0"],
        *_trace(inquiry),
        _name("03", asked.last_name, asked.first_name),
        *_dmg(asked.birth_date, asked.gender),
    ]


def _subscriber_rejection(member_id: str, birth_date: date | None, member: TestMember | None) -> str:
    if not MEMBER_ID.fullmatch(member_id.upper()):
        return "72"
    if member is None:
        return "75"
    if birth_date is not None and birth_date != member.birth_date:
        return "71"
    return ""


def _dependent(inquiry: EligibilityInquiry, payer: SandboxPayer, member: TestMember) -> list[Segment]:
    asked = inquiry.dependent
    known = next(
        (
            dependent
            for dependent in member.dependents
            if dependent.first_name == asked.first_name.upper() and dependent.birth_date == asked.birth_date
        ),
        None,
    )
    segments = [["HL", "4", "3", "23", "0"], *_trace(inquiry)]
    if known is None:
        return segments + [
            _name("03", asked.last_name, asked.first_name),
            ["AAA", "N", "", "67", "C"],
            *_dmg(asked.birth_date, asked.gender),
        ]
    segments += [
        _name("03", known.last_name, known.first_name),
        *_dmg(known.birth_date, known.gender),
        ["INS", "N", known.relationship],
    ]
    return segments + _coverage(inquiry, payer, member.scenario, "FAM")


def _coverage(inquiry: EligibilityInquiry, payer: SandboxPayer, scenario: str, level: str) -> list[Segment]:
    year = inquiry.service_date.year
    if scenario == "inactive":
        return [
            ["DTP", "346", "D8", f"{year - 2}0101"],
            ["DTP", "347", "D8", f"{year - 1}1231"],
            ["EB", "6", "", "30"],
            ["MSG", "COVERAGE TERMINATED"],
        ]
    asked = inquiry.service_type
    active = "30" if asked == "30" else f"30^{asked}"
    segments = [
        ["DTP", "346", "D8", f"{year}0101"],
        ["EB", "1", level, active, payer.insurance_type, payer.plan_name],
    ]
    if scenario == "carve_out":
        return segments + _carve_out(payer)
    return segments + _cost_shares(payer, asked, level)


def _cost_shares(payer: SandboxPayer, asked: str, level: str) -> list[Segment]:
    services = "MH^A6^A8" if asked == "30" else asked
    kind = payer.insurance_type
    segments = [
        ["EB", "B", level, services, kind, "", "27", str(payer.copay), "", "", "", "", "Y"],
        ["III", "ZZ", "11"],
        ["EB", "B", level, services, kind, "", "27", str(payer.telehealth_copay), "", "", "", "", "Y"],
        ["III", "ZZ", "10"],
        ["MSG", "TELEHEALTH VISIT"],
        ["EB", "A", level, services, kind, "", "27", "", payer.coinsurance_out_of_network, "", "", "", "N"],
        *_accumulator("C", level, payer.deductible, payer.deductible_met, "Y"),
        *_accumulator("C", level, payer.deductible * 2, 0, "N"),
        *_accumulator("G", level, payer.out_of_pocket, payer.out_of_pocket_met, "Y"),
        ["EB", "1", level, "A7", kind, "", "", "", "", "", "", "Y", "Y"],
        ["MSG", "PRIOR AUTHORIZATION REQUIRED FOR INPATIENT PSYCHIATRIC ADMISSION"],
    ]
    if payer.visit_limit:
        segments.append(["EB", "F", level, "A6", "", "", "22", "", "", "VS", str(payer.visit_limit)])
    return segments


def _accumulator(code: str, level: str, total: int, met: int, network: str) -> list[Segment]:
    """A deductible (C) or out-of-pocket maximum (G): the yearly total and what remains."""
    return [
        ["EB", code, level, "30", "", "", "23", str(total), "", "", "", "", network],
        ["EB", code, level, "30", "", "", "29", str(total - met), "", "", "", "", network],
    ]


def _carve_out(payer: SandboxPayer) -> list[Segment]:
    name, payer_id, phone = CARVE_OUT
    return [
        ["EB", "B", "IND", "98", payer.insurance_type, "", "27", str(payer.copay), "", "", "", "", "Y"],
        ["EB", "U", "", "MH^A6^A8"],
        ["MSG", "MENTAL HEALTH BENEFITS ARE MANAGED BY ANOTHER COMPANY"],
        ["LS", "2120"],
        ["NM1", "PR", "2", name, "", "", "", "", "PI", payer_id],
        ["PER", "IC", "BEHAVIORAL HEALTH PROVIDER LINE", "TE", phone],
        ["LE", "2120"],
    ]


def _trace(inquiry: EligibilityInquiry) -> list[Segment]:
    # A 271 returns the 270's trace number with TRN01 = 2 (a referenced trace).
    if not inquiry.trace_number:
        return []
    return [["TRN", "2", inquiry.trace_number, "9" + inquiry.provider_npi[:9]]]


def _name(entity: str, last_name: str, first_name: str, member_id: str = "") -> Segment:
    segment = ["NM1", entity, "1", last_name, first_name]
    return segment + ["", "", "", "MI", member_id] if member_id else segment


def _dmg(birth_date: date | None, gender: str) -> list[Segment]:
    if birth_date is None:
        return []
    return [["DMG", "D8", _day(birth_date), gender] if gender else ["DMG", "D8", _day(birth_date)]]


def _day(moment: date) -> str:
    return f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
