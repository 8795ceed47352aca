"""Check the ISA/GS/ST envelopes and hand out each transaction set with its control numbers.

The envelope is where truncation and copy-paste damage show first: a segment count that does
not add up or a control number that does not match its trailer means the text is not what the
sender sent, so nothing in it is trusted.
"""

from dataclasses import dataclass
from datetime import date, datetime

from .errors import X12Error
from .segments import Delimiters, Segment, element, tokenize


@dataclass(slots=True)
class Envelope:
    """Who sent a transaction set to whom, and the control numbers that identify it."""

    sender_id: str
    receiver_id: str
    usage: str  # ISA15: P production, T test
    interchange_control_number: str
    group_control_number: str
    transaction_set: str  # ST01: 270 or 271
    transaction_control_number: str
    implementation: str  # ST03, 005010X279A1
    created: datetime | None


@dataclass(slots=True)
class TransactionSet:
    """The segments from ST to SE inclusive; segment i sits at position `start + i`."""

    envelope: Envelope
    segments: list[Segment]
    start: int
    delimiters: Delimiters


def read_interchange(text: str) -> list[TransactionSet]:
    """Tokenize an interchange, validate its envelopes and return its transaction sets."""
    delimiters, segments = tokenize(text)
    isa = segments[0]
    if not isa[13].isascii() or not isa[13].isdigit():
        raise X12Error(
            f"interchange control number {isa[13]!r} must be 9 digits",
            segment_id="ISA",
            position=1,
            element=13,
        )
    transactions: list[TransactionSet] = []
    index, groups = 1, 0
    while index < len(segments) and segments[index][0] == "GS":
        index = _read_group(segments, index, delimiters, transactions)
        groups += 1
    iea = _expect(segments, index, "IEA", "GS or IEA")
    if groups == 0:
        raise X12Error("the interchange holds no functional group (GS)", segment_id="IEA", position=index + 1)
    _check_count(iea, index + 1, groups, "functional groups")
    _check_match(iea, index + 1, 2, isa[13], "ISA13")
    if index + 1 < len(segments):
        raise X12Error(
            "segments follow IEA; an interchange ends with IEA",
            segment_id=segments[index + 1][0],
            position=index + 2,
        )
    return transactions


def _read_group(segments, index, delimiters, transactions) -> int:
    gs, gs_index = segments[index], index
    index += 1
    count = 0
    while index < len(segments) and segments[index][0] == "ST":
        index = _read_transaction(segments, index, gs, delimiters, transactions)
        count += 1
    ge = _expect(segments, index, "GE", "ST or GE")
    if count == 0:
        raise X12Error(
            "the functional group holds no transaction set (ST)", segment_id="GS", position=gs_index + 1
        )
    _check_count(ge, index + 1, count, "transaction sets")
    _check_match(ge, index + 1, 2, element(gs, 6), "GS06")
    return index + 1


def _read_transaction(segments, index, gs, delimiters, transactions) -> int:
    st, start = segments[index], index
    end = index + 1
    while end < len(segments) and segments[end][0] != "SE":
        if segments[end][0] in ("ST", "GE", "GS", "IEA"):
            break
        end += 1
    se = _expect(segments, end, "SE", f"SE closing transaction set {element(st, 2)}")
    _check_count(se, end + 1, end - start + 1, "segments from ST to SE")
    _check_match(se, end + 1, 2, element(st, 2), "ST02")
    envelope = _envelope(segments[0], gs, st, start + 1)
    transactions.append(TransactionSet(envelope, segments[start : end + 1], start + 1, delimiters))
    return end + 1


def _envelope(isa: Segment, gs: Segment, st: Segment, position: int) -> Envelope:
    if not element(st, 2):
        raise X12Error(
            "ST02 (transaction set control number) is missing", segment_id="ST", position=position, element=2
        )
    return Envelope(
        sender_id=isa[6].strip(),
        receiver_id=isa[8].strip(),
        usage=isa[15],
        interchange_control_number=isa[13],
        group_control_number=element(gs, 6),
        transaction_set=element(st, 1),
        transaction_control_number=element(st, 2),
        implementation=element(st, 3) or element(gs, 8),
        created=_gs_time(gs),
    )


def _gs_time(gs: Segment) -> datetime | None:
    # GS04/GS05 say when the group was created; a bad value is not worth refusing the reply.
    day, clock = element(gs, 4), element(gs, 5)
    try:
        moment = date(int(day[:4]), int(day[4:6]), int(day[6:8]))
        return datetime(moment.year, moment.month, moment.day, int(clock[:2]), int(clock[2:4]))
    except ValueError:
        return None


def _expect(segments: list[Segment], index: int, segment_id: str, wanted: str) -> Segment:
    if index >= len(segments):
        raise X12Error(
            f"the interchange ends where {wanted} was expected; it looks truncated",
            segment_id=segment_id,
            position=index + 1,
        )
    if segments[index][0] != segment_id:
        raise X12Error(
            f"expected {wanted}, found {segments[index][0]}",
            segment_id=segments[index][0],
            position=index + 1,
        )
    return segments[index]


def _check_count(trailer: Segment, position: int, actual: int, what: str) -> None:
    declared = element(trailer, 1)
    if not declared.isdigit() or not declared.isascii():
        raise X12Error(
            f"{trailer[0]}01 {declared!r} must be a count of {what}",
            segment_id=trailer[0],
            position=position,
            element=1,
        )
    if int(declared) != actual:
        raise X12Error(
            f"{trailer[0]}01 says {int(declared)} {what}, but there are {actual}",
            segment_id=trailer[0],
            position=position,
            element=1,
        )


def _check_match(trailer: Segment, position: int, n: int, expected: str, header: str) -> None:
    found = element(trailer, n)
    if found != expected:
        raise X12Error(
            f"{trailer[0]}{n:02d} {found!r} does not match {header} {expected!r}",
            segment_id=trailer[0],
            position=position,
            element=n,
        )
