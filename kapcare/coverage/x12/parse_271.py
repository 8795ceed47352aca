"""Read 271 eligibility responses into `EligibilityResponse` dataclasses.

The HL hierarchy says whose segments follow: 20 the information source (payer, loop 2000A),
21 the information receiver (provider, 2000B), 22 the subscriber (2000C), 23 a dependent
(2000D). Inside a subscriber or dependent, the first EB starts the benefit loops (2110C/D),
and LS/LE wrap an entity related to a benefit (2120C/D), such as a behavioural-health
carve-out company. Each loop reads its segments through a small dispatch table; a segment
no table knows is kept in `unparsed` with its loop and position.
"""

from . import codes
from .elements import ccyymmdd, code, code_table, date_period, moment, number, required
from .envelope import TransactionSet, read_interchange
from .errors import X12Error
from .response import (
    Address,
    Benefit,
    Code,
    Contact,
    EligibilityResponse,
    Member,
    Party,
    Reference,
    Rejection,
    UnparsedSegment,
)
from .segments import Segment, element

BENEFIT_CODES = code_table(codes.BENEFIT_CODES)
CONTACT_CHANNELS = codes.CONTACT_CHANNELS
COVERAGE_LEVELS = code_table(codes.COVERAGE_LEVELS)
DATE_QUALIFIERS = code_table(codes.DATE_QUALIFIERS)
ENTITY_CODES = code_table(codes.ENTITY_CODES)
FOLLOW_UP_ACTIONS = code_table(codes.FOLLOW_UP_ACTIONS)
INSURANCE_TYPES = code_table(codes.INSURANCE_TYPES)
NETWORK_INDICATORS = code_table(codes.NETWORK_INDICATORS)
PLACES_OF_SERVICE = code_table(codes.PLACES_OF_SERVICE)
QUANTITY_QUALIFIERS = code_table(codes.QUANTITY_QUALIFIERS)
REFERENCE_QUALIFIERS = code_table(codes.REFERENCE_QUALIFIERS)
RELATIONSHIPS = code_table(codes.RELATIONSHIPS)
SERVICE_TYPES = code_table(codes.SERVICE_TYPES)
TIME_PERIODS = code_table(codes.TIME_PERIODS)

LEVEL_NAMES = {
    "20": "information source",
    "21": "information receiver",
    "22": "subscriber",
    "23": "dependent",
}
PARENT_LEVEL = {"20": "", "21": "20", "22": "21", "23": "22"}


def parse_271(text: str) -> EligibilityResponse:
    """Parse an interchange holding one 271 transaction set."""
    transactions = read_interchange(text)
    if len(transactions) > 1:
        raise X12Error(
            f"expected one 271 transaction set, found {len(transactions)}; use parse_271s for batches",
            segment_id="ST",
            position=transactions[1].start,
        )
    return read_271(transactions[0])


def parse_271s(text: str) -> list[EligibilityResponse]:
    """Parse every 271 transaction set in an interchange."""
    return [read_271(transaction) for transaction in read_interchange(text)]


def check_transaction_set(transaction: TransactionSet, expected: str) -> None:
    st, position = transaction.segments[0], transaction.start
    if element(st, 1) != expected:
        raise X12Error(
            f"this is a {element(st, 1) or 'blank'} transaction set; expected {expected}",
            segment_id="ST",
            position=position,
            element=1,
        )
    if not transaction.envelope.implementation.startswith("005010X279"):
        raise X12Error(
            f"implementation {transaction.envelope.implementation!r} is not 005010X279A1 eligibility",
            segment_id="ST",
            position=position,
            element=3,
        )
    if len(transaction.segments) < 3 or transaction.segments[1][0] != "BHT":
        raise X12Error(
            "BHT (beginning of hierarchical transaction) must follow ST",
            segment_id=transaction.segments[1][0],
            position=position + 1,
        )


def read_271(transaction: TransactionSet) -> EligibilityResponse:
    check_transaction_set(transaction, "271")
    return _Reader(transaction).read()


class _Reader:
    """Walks one 271 transaction set, keeping track of the loop it is in."""

    def __init__(self, transaction: TransactionSet):
        self.transaction = transaction
        self.repetition = transaction.delimiters.repetition
        self.component = transaction.delimiters.component
        self.loop = "header"
        self.handlers: dict = {}
        self.levels: dict[str, tuple[str, object]] = {}
        self.open_level: tuple[int, str, str] | None = None  # position, HL01, HL03
        self.named = False
        self.source: Party | None = None
        self.receiver: Party | None = None
        self.subscribers: list[Member] = []
        self.party: Party | None = None
        self.member: Member | None = None
        self.holder = None  # what N3, N4, PER and REF describe in the current loop
        self.ls_position = 0
        self.benefit: Benefit | None = None
        self.unparsed: list[UnparsedSegment] = []

    def read(self) -> EligibilityResponse:
        segments, start = self.transaction.segments, self.transaction.start
        for offset in range(2, len(segments) - 1):
            segment = segments[offset]
            handler = self.handlers.get(segment[0])
            if segment[0] == "HL":
                self.open_hl(segment, start + offset)
            elif handler is None:
                self.keep(segment, start + offset)
            else:
                handler(self, segment, start + offset)
        self.close_hl(segments[-1], start + len(segments) - 1)
        return self.response(segments)

    def response(self, segments: list[Segment]) -> EligibilityResponse:
        self.check_levels(segments[-1], self.transaction.start + len(segments) - 1)
        bht = segments[1]
        for subscriber in self.subscribers:
            for member in (subscriber, *subscriber.dependents):
                member.plan_name = _plan_name(member.benefits)
        return EligibilityResponse(
            envelope=self.transaction.envelope,
            reference=element(bht, 3),
            created=moment(bht, 4, self.transaction.start + 1),
            information_source=self.source,
            receiver=self.receiver,
            subscribers=self.subscribers,
            unparsed=self.unparsed,
        )

    def check_levels(self, se: Segment, position: int) -> None:
        """Each level is required unless the level above it was rejected (AAA)."""
        if self.source is None:
            missing = "information source (HL level 20, loop 2000A)"
        elif self.receiver is None and not self.source.rejections:
            missing = "information receiver (HL level 21, loop 2000B)"
        elif not self.subscribers and self.receiver and not self.receiver.rejections:
            missing = "subscriber (HL level 22, loop 2000C)"
        else:
            return
        raise X12Error(f"the 271 has no {missing}", segment_id=se[0], position=position)

    def keep(self, segment: Segment, position: int) -> None:
        self.unparsed.append(UnparsedSegment(self.loop, position, segment[0], segment[1:]))

    def enter(self, loop: str, handlers: dict) -> None:
        self.loop, self.handlers = loop, handlers

    # HL: which party or person the following segments describe.

    def open_hl(self, hl: Segment, position: int) -> None:
        self.close_hl(hl, position)
        hl_id = required(hl, 1, position, "hierarchical ID")
        level = required(hl, 3, position, "hierarchical level code")
        if level not in PARENT_LEVEL:
            raise X12Error(
                f"hierarchical level {level!r} is not one of 20, 21, 22, 23",
                segment_id="HL",
                position=position,
                element=3,
            )
        if hl_id in self.levels:
            raise X12Error(f"HL01 {hl_id!r} is used twice", segment_id="HL", position=position, element=1)
        parent = self.parent(hl, position, level)
        self.levels[hl_id] = (level, self.start_level(level, parent, position))
        self.open_level, self.named = (position, hl_id, level), False

    def parent(self, hl: Segment, position: int, level: str):
        parent_id = element(hl, 2)
        if level == "20":
            return None
        parent_level, parent = self.levels.get(parent_id, ("", None))
        if parent_level != PARENT_LEVEL[level]:
            wanted = LEVEL_NAMES[PARENT_LEVEL[level]]
            raise X12Error(
                f"HL02 {parent_id!r} must name an earlier {wanted} HL",
                segment_id="HL",
                position=position,
                element=2,
            )
        return parent

    def start_level(self, level: str, parent, position: int):
        self.benefit = None
        if level in ("20", "21"):
            self.party = self.holder = Party(Code("", ""), "")
            if level == "20":
                self.check_single(self.source, "information source", position)
                self.source = self.party
                self.enter("2000A", SOURCE)
            else:
                self.check_single(self.receiver, "information receiver", position)
                self.receiver = self.party
                self.enter("2000B", RECEIVER)
            return self.party
        self.member = self.holder = Member("2000C" if level == "22" else "2000D")
        (self.subscribers if level == "22" else parent.dependents).append(self.member)
        self.enter("2100" + self.member.loop[-1], MEMBER)
        return self.member

    def check_single(self, existing, what: str, position: int) -> None:
        if existing is not None:
            raise X12Error(
                f"more than one {what} in one transaction set; kapcare reads one",
                segment_id="HL",
                position=position,
            )

    def close_hl(self, segment: Segment, position: int) -> None:
        if self.loop.startswith("2120"):
            self.unclosed_ls(segment, position)
        if self.open_level and not self.named:
            position, hl_id, level = self.open_level
            loop = {"20": "2100A", "21": "2100B", "22": "2100C", "23": "2100D"}[level]
            raise X12Error(
                f"the {LEVEL_NAMES[level]} (HL {hl_id}) has no NM1 name; loop {loop} is required",
                segment_id="HL",
                position=position,
            )

    # Payer and provider (2000A/2100A, 2000B/2100B).

    def party_nm1(self, nm1: Segment, position: int) -> None:
        if self.named:
            return self.keep(nm1, position)
        _fill_party(self.party, nm1, position)
        self.named = True
        self.loop = "2100A" if self.loop == "2000A" else "2100B"

    def party_aaa(self, aaa: Segment, position: int) -> None:
        self.party.rejections.append(_rejection(aaa, position, self.loop))

    def party_ref(self, ref: Segment, position: int) -> None:
        self.party.references.append(_reference(ref, position))

    def per(self, per: Segment, position: int) -> None:
        if self.holder is None:
            return self.keep(per, position)
        self.holder.contacts.append(_contact(per))

    def n3(self, n3: Segment, position: int) -> None:
        if self.holder is None:
            return self.keep(n3, position)
        address = self.holder.address = self.holder.address or Address()
        address.line1, address.line2 = element(n3, 1), element(n3, 2)

    def n4(self, n4: Segment, position: int) -> None:
        if self.holder is None:
            return self.keep(n4, position)
        address = self.holder.address = self.holder.address or Address()
        address.city, address.state = element(n4, 1), element(n4, 2)
        address.postal_code, address.country = element(n4, 3), element(n4, 4)

    # Subscriber and dependent (2000C/2100C, 2000D/2100D).

    def member_nm1(self, nm1: Segment, position: int) -> None:
        if self.named:
            return self.keep(nm1, position)
        member = self.member
        member.last_name, member.first_name = element(nm1, 3), element(nm1, 4)
        member.middle_name, member.suffix = element(nm1, 5), element(nm1, 7)
        member.member_id = element(nm1, 9)
        self.named = True

    def member_trn(self, trn: Segment, position: int) -> None:
        self.member.trace_numbers.append(element(trn, 2))

    def member_ref(self, ref: Segment, position: int) -> None:
        reference = _reference(ref, position)
        member = self.member
        member.references.append(reference)
        if reference.qualifier.code == "6P" or (reference.qualifier.code == "1L" and not member.group_number):
            member.group_number, member.group_name = reference.value, reference.description
        elif reference.qualifier.code == "18":
            member.plan_number = reference.value

    def member_dmg(self, dmg: Segment, position: int) -> None:
        if element(dmg, 1) == "D8" and element(dmg, 2):
            self.member.birth_date = ccyymmdd(dmg[2], dmg, 2, position)
        self.member.gender = element(dmg, 3)

    def member_ins(self, ins: Segment, position: int) -> None:
        self.member.relationship = code(RELATIONSHIPS, element(ins, 2))

    def member_dtp(self, dtp: Segment, position: int) -> None:
        period = date_period(dtp, position, DATE_QUALIFIERS)
        if period is None:
            return self.keep(dtp, position)
        (self.benefit or self.member).dates.append(period)

    def member_aaa(self, aaa: Segment, position: int) -> None:
        (self.benefit or self.member).rejections.append(_rejection(aaa, position, self.loop))

    # Benefits (2110C/D) and their related entities (2120C/D).

    def eb(self, eb: Segment, position: int) -> None:
        self.benefit = _benefit(eb, position, self.repetition, self.component)
        self.member.benefits.append(self.benefit)
        self.enter("2110" + self.member.loop[-1], BENEFIT)

    def benefit_ref(self, ref: Segment, position: int) -> None:
        self.benefit.references.append(_reference(ref, position))

    def benefit_msg(self, msg: Segment, position: int) -> None:
        self.benefit.messages.append(element(msg, 1))

    def benefit_iii(self, iii: Segment, position: int) -> None:
        if element(iii, 1) != "ZZ":
            return self.keep(iii, position)
        self.benefit.places_of_service.append(code(PLACES_OF_SERVICE, element(iii, 2)))

    def ls(self, ls: Segment, position: int) -> None:
        self.holder, self.ls_position = None, position  # no holder until the entity's NM1
        self.enter("2120" + self.member.loop[-1], ENTITY)

    def entity_nm1(self, nm1: Segment, position: int) -> None:
        self.holder = _fill_party(Party(Code("", ""), ""), nm1, position)
        self.benefit.related_entities.append(self.holder)

    def unclosed_ls(self, segment: Segment, position: int) -> None:
        # Without LE nothing says where the related entity ends and the benefits resume.
        raise X12Error(
            f"the 2120 loop opened by LS at segment {self.ls_position} is not "
            f"closed by LE before {segment[0]}",
            segment_id=segment[0],
            position=position,
        )

    def le(self, le: Segment, position: int) -> None:
        self.holder = self.member
        self.enter("2110" + self.member.loop[-1], BENEFIT)


SOURCE = {"NM1": _Reader.party_nm1, "AAA": _Reader.party_aaa, "PER": _Reader.per}
RECEIVER = {
    "NM1": _Reader.party_nm1,
    "AAA": _Reader.party_aaa,
    "REF": _Reader.party_ref,
    "N3": _Reader.n3,
    "N4": _Reader.n4,
}
MEMBER = {
    "TRN": _Reader.member_trn,
    "NM1": _Reader.member_nm1,
    "REF": _Reader.member_ref,
    "N3": _Reader.n3,
    "N4": _Reader.n4,
    "AAA": _Reader.member_aaa,
    "DMG": _Reader.member_dmg,
    "INS": _Reader.member_ins,
    "DTP": _Reader.member_dtp,
    "EB": _Reader.eb,
}
BENEFIT = {
    "EB": _Reader.eb,
    "REF": _Reader.benefit_ref,
    "DTP": _Reader.member_dtp,
    "AAA": _Reader.member_aaa,
    "MSG": _Reader.benefit_msg,
    "III": _Reader.benefit_iii,
    "LS": _Reader.ls,
}
ENTITY = {
    "NM1": _Reader.entity_nm1,
    "N3": _Reader.n3,
    "N4": _Reader.n4,
    "PER": _Reader.per,
    "LE": _Reader.le,
    "EB": _Reader.unclosed_ls,
}


def _fill_party(party: Party, nm1: Segment, position: int) -> Party:
    party.entity = code(ENTITY_CODES, required(nm1, 1, position, "entity identifier code"))
    party.name, party.first_name = element(nm1, 3), element(nm1, 4)
    party.id_qualifier, party.id = element(nm1, 8), element(nm1, 9)
    return party


def _benefit(eb: Segment, position: int, repetition: str, component: str) -> Benefit:
    benefit = code(BENEFIT_CODES, required(eb, 1, position, "eligibility or benefit code"))
    # Pad to EB13 once, so each element below is a plain index: EB is most of a 271.
    eb = eb + [""] * (14 - len(eb)) if len(eb) < 14 else eb
    return Benefit(
        code=benefit.code,
        meaning=benefit.meaning,
        position=position,
        coverage_level=code(COVERAGE_LEVELS, eb[2]),
        service_types=[
            code(SERVICE_TYPES, service_type) for service_type in eb[3].split(repetition) if service_type
        ],
        insurance_type=code(INSURANCE_TYPES, eb[4]),
        plan_description=eb[5],
        time_period=code(TIME_PERIODS, eb[6]),
        amount=number(eb, 7, position) if eb[7] else None,
        percent=number(eb, 8, position) if eb[8] else None,
        quantity_qualifier=code(QUANTITY_QUALIFIERS, eb[9]),
        quantity=number(eb, 10, position) if eb[10] else None,
        authorization_required={"Y": True, "N": False}.get(eb[11]),
        in_network=code(NETWORK_INDICATORS, eb[12]),
        procedure=eb[13].split(component) if eb[13] else [],
    )


def _rejection(aaa: Segment, position: int, loop: str) -> Rejection:
    reason_code = required(aaa, 3, position, "reject reason code")
    reason, fix = codes.REJECT_REASONS.get(reason_code) or (
        f"unknown code {reason_code}",
        f"Look up reject reason {reason_code} in the payer's companion guide or call the payer.",
    )
    return Rejection(
        loop=loop,
        request_valid=element(aaa, 1) == "Y",
        reason=Code(reason_code, reason),
        what_to_fix=fix,
        follow_up=code(FOLLOW_UP_ACTIONS, element(aaa, 4)),
        position=position,
    )


def _reference(ref: Segment, position: int) -> Reference:
    qualifier = code(REFERENCE_QUALIFIERS, required(ref, 1, position, "reference qualifier"))
    return Reference(qualifier, element(ref, 2), element(ref, 3))


def _contact(per: Segment) -> Contact:
    contact = Contact(element(per, 2))
    for n in (3, 5, 7):
        channel = element(per, n)
        if channel:
            contact.channels[CONTACT_CHANNELS.get(channel) or channel] = element(per, n + 1)
    return contact


def _plan_name(benefits: list[Benefit]) -> str:
    # Payers name the plan in EB05, most reliably on the active-coverage benefit.
    named = [benefit for benefit in benefits if benefit.plan_description]
    for benefit in named:
        if benefit.code in codes.ACTIVE_CODES:
            return benefit.plan_description
    return named[0].plan_description if named else ""
