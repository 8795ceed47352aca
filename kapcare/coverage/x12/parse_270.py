"""Read a 270 eligibility inquiry back into an `EligibilityInquiry`.

kapcare sends one patient and one service type per 270, so this reader expects that shape:
the sandbox clearinghouse uses it to answer, and tests use it to prove build_270 round-trips.
Segments a 270 may carry that kapcare never sends (REF, N3, PRV, ...) are skipped.
"""

from datetime import date

from .elements import ccyymmdd, moment, required
from .envelope import read_interchange
from .errors import X12Error
from .inquiry import Dependent, EligibilityInquiry, Subscriber
from .parse_271 import LEVEL_NAMES, check_transaction_set
from .segments import Segment, element


def parse_270(text: str) -> EligibilityInquiry:
    transactions = read_interchange(text)
    if len(transactions) > 1:
        raise X12Error(
            f"expected one 270 transaction set, found {len(transactions)}",
            segment_id="ST",
            position=transactions[1].start,
        )
    transaction = transactions[0]
    check_transaction_set(transaction, "270")
    found = _collect(transaction.segments, transaction.start)
    envelope, bht = transaction.envelope, transaction.segments[1]
    created = moment(bht, 4, transaction.start + 1)
    if created is None:
        raise X12Error(
            "BHT04 (creation date) is required", segment_id="BHT", position=transaction.start + 1, element=4
        )
    return EligibilityInquiry(
        provider_npi=found["21"]["id"],
        provider_name=found["21"]["name"],
        payer_id=found["20"]["id"],
        payer_name=found["20"]["name"],
        subscriber=Subscriber(
            found["22"]["name"],
            found["22"]["first_name"],
            found["22"]["id"],
            found["22"].get("birth_date"),
            found["22"].get("gender", ""),
        ),
        dependent=_dependent(found.get("23")),
        service_type=found["question"]["service_type"],
        service_date=found["question"].get("service_date") or created.date(),
        created=created,
        interchange_control_number=int(envelope.interchange_control_number),
        group_control_number=_group_number(envelope.group_control_number, transaction.start),
        transaction_control_number=envelope.transaction_control_number,
        trace_number=found.get("23", found["22"]).get("trace_number", ""),
        sender_id=envelope.sender_id,
        receiver_id=envelope.receiver_id,
        usage=envelope.usage,
    )


def _collect(segments: list[Segment], start: int) -> dict[str, dict]:
    """Group the values by HL level: 20 payer, 21 provider, 22 subscriber, 23 dependent."""
    found: dict[str, dict] = {}
    level, hl_position = "", start
    for offset in range(2, len(segments) - 1):
        segment, position = segments[offset], start + offset
        if segment[0] == "HL":
            _check_named(found, level, hl_position)
            level, hl_position = _open_level(segment, position, found), position
        elif level:
            _read(segment, position, found[level], found)
    _check_named(found, level, hl_position)
    for needed in ("20", "21", "22"):
        if needed not in found:
            raise X12Error(
                f"no {LEVEL_NAMES[needed]} (HL level {needed})",
                segment_id="SE",
                position=start + len(segments) - 1,
            )
    if "service_type" not in found.get("question", {}):
        raise X12Error(
            "no EQ: the inquiry does not say which service type it asks about",
            segment_id="SE",
            position=start + len(segments) - 1,
        )
    return found


def _open_level(hl: Segment, position: int, found: dict) -> str:
    level = required(hl, 3, position, "hierarchical level code")
    if level not in LEVEL_NAMES:
        raise X12Error(
            f"hierarchical level {level!r} is not one of 20, 21, 22, 23",
            segment_id="HL",
            position=position,
            element=3,
        )
    if level in found:
        raise X12Error(
            f"a second {LEVEL_NAMES[level]}; kapcare reads one patient per 270",
            segment_id="HL",
            position=position,
        )
    found[level] = {}
    return level


def _check_named(found: dict, level: str, position: int) -> None:
    if level and "name" not in found[level]:
        raise X12Error(f"the {LEVEL_NAMES[level]} HL has no NM1 name", segment_id="HL", position=position)


def _read(segment: Segment, position: int, values: dict, found: dict) -> None:
    kind = segment[0]
    if kind == "NM1" and "name" not in values:
        values["name"], values["first_name"] = element(segment, 3), element(segment, 4)
        values["id"] = element(segment, 9)
    elif kind == "DMG" and element(segment, 2):
        values["birth_date"] = ccyymmdd(segment[2], segment, 2, position)
        values["gender"] = element(segment, 3)
    elif kind == "TRN":
        values["trace_number"] = element(segment, 2)
    elif kind == "INS":
        values["relationship"] = element(segment, 2)
    elif kind == "DTP" and element(segment, 1) == "291":
        found.setdefault("question", {})["service_date"] = _service_date(segment, position)
    elif kind == "EQ":
        question = found.setdefault("question", {})
        if "service_type" in question:
            raise X12Error(
                "a second EQ; kapcare asks about one service type per 270", segment_id="EQ", position=position
            )
        question["service_type"] = required(segment, 1, position, "service type code")


def _service_date(dtp: Segment, position: int) -> date:
    value = required(dtp, 3, position, "date")
    # A range (RD8) asks about a period; its first day stands for it here.
    return ccyymmdd(value[:8], dtp, 3, position)


def _dependent(values: dict | None) -> Dependent | None:
    if values is None:
        return None
    return Dependent(
        values["name"],
        values["first_name"],
        values.get("birth_date"),
        values.get("gender", ""),
        values.get("relationship", ""),
    )


def _group_number(value: str, position: int) -> int:
    if not value.isascii() or not value.isdigit():
        raise X12Error(
            f"group control number {value!r} must be digits",
            segment_id="GS",
            position=position - 1,
            element=6,
        )
    return int(value)
