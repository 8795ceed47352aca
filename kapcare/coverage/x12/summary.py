"""A plain-language behavioural-health summary of a 271, for staff and for the patient.

It answers what a KAP clinic asks first: is the coverage active and for which dates, what does
a psychotherapy or outpatient mental-health visit cost (copay or coinsurance, in and out of
network), how much deductible and out-of-pocket is left, and is anything needed first (prior
authorisation, a carve-out company to call). A 271 rarely says whether this clinic is in the
plan's network: EB12 only says whether a benefit is the plan's in- or out-of-network benefit.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .codes import ACTIVE_CODES, INACTIVE_CODES, NETWORK_INDICATORS, SERVICE_TYPES
from .response import (
    Benefit,
    Code,
    DatePeriod,
    EligibilityResponse,
    Member,
    Rejection,
    to_jsonable,
)

# Most specific first: a psychotherapy copay answers the question better than a plan-wide one.
MENTAL_HEALTH_SERVICE_TYPES = ("A6", "MH", "A8", "A4", "A7", "AJ", "AK", "98", "30")
PLAN_BEGIN = ("346", "356", "291", "307")
PLAN_END = ("347", "357", "291", "307")


@dataclass(slots=True)
class CostShare:
    """What the patient pays per service: a copay (amount) or coinsurance (percent, 0-100)."""

    kind: str  # "copay" or "coinsurance"
    service_types: list[Code]
    network: str
    amount: Decimal | None = None
    percent: Decimal | None = None
    time_period: str = ""
    coverage_level: str = ""
    places_of_service: list[str] = field(default_factory=list)
    authorization_required: bool | None = None
    messages: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Accumulator:
    """A deductible or out-of-pocket maximum: the total, what is met and what remains."""

    network: str
    coverage_level: str
    period: str = ""
    total: Decimal | None = None
    met: Decimal | None = None
    remaining: Decimal | None = None


@dataclass(slots=True)
class BehavioralHealthSummary:
    """What staff tell a person about their behavioural-health coverage, from one 271.

    `in_network` is False only when the payer rejected the inquiry as out of network (AAA 35);
    otherwise None, because a 271 lists in- and out-of-network benefits without saying which
    applies to this clinic. `lines` are the plain sentences to show or send.
    """

    payer: str
    patient_name: str
    member_id: str
    status: str  # active, inactive, rejected or unknown
    active: bool | None
    coverage_begins: date | None = None
    coverage_ends: date | None = None
    plan_name: str = ""
    group_number: str = ""
    in_network: bool | None = None
    copays: list[CostShare] = field(default_factory=list)
    coinsurance: list[CostShare] = field(default_factory=list)
    deductibles: list[Accumulator] = field(default_factory=list)
    out_of_pocket: list[Accumulator] = field(default_factory=list)
    limitations: list[str] = field(default_factory=list)
    not_covered: list[str] = field(default_factory=list)
    authorization_required: bool | None = None
    contacts: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return to_jsonable(self)


def behavioral_health_summary(response: EligibilityResponse) -> BehavioralHealthSummary:
    """Summarise a parsed 271 for psychotherapy and outpatient mental health."""
    patient, subscriber = response.patient, response.subscriber
    benefits = patient.benefits if patient else []
    rejections = response.all_rejections()
    summary = BehavioralHealthSummary(
        payer=response.information_source.name,
        patient_name=patient.name if patient else "",
        member_id=subscriber.member_id if subscriber else "",
        status=_status(benefits, rejections),
        active=None,
        plan_name=(patient.plan_name or subscriber.plan_name) if patient else "",
        group_number=(patient.group_number or subscriber.group_number) if patient else "",
        rejections=rejections,
    )
    summary.active = {"active": True, "inactive": False}.get(summary.status)
    summary.coverage_begins, summary.coverage_ends = _coverage_dates(patient, subscriber)
    relevant = [benefit for benefit in benefits if _is_mental_health(benefit)]
    summary.copays = _cost_shares(relevant, "B", "copay")
    summary.coinsurance = _cost_shares(relevant, "A", "coinsurance")
    summary.deductibles = _accumulators(relevant, "C")
    summary.out_of_pocket = _accumulators(relevant, "G")
    summary.limitations = [_limitation(benefit) for benefit in relevant if benefit.code == "F"]
    summary.not_covered = [_services(benefit) for benefit in relevant if benefit.code == "I"]
    summary.authorization_required = _authorization(relevant)
    summary.contacts = _contacts(benefits)
    summary.messages = [message for benefit in relevant for message in benefit.messages]
    if any(rejection.reason.code == "35" for rejection in rejections):
        summary.in_network = False
    summary.lines = _lines(summary)
    return summary


def _status(benefits: list[Benefit], rejections: list[Rejection]) -> str:
    codes = {benefit.code for benefit in benefits}
    if codes & ACTIVE_CODES:
        return "active"
    if codes & INACTIVE_CODES:
        return "inactive"
    return "rejected" if rejections else "unknown"


def _coverage_dates(patient: Member | None, subscriber: Member | None):
    """Plan or eligibility dates from the patient, else from the subscriber's level."""
    periods = []
    for member in (patient, subscriber):
        if member:
            periods += member.dates
            periods += [
                period
                for benefit in member.benefits
                if benefit.code in ACTIVE_CODES
                for period in benefit.dates
            ]
    return _begins(periods), _ends(periods)


def _begins(periods: list[DatePeriod]) -> date | None:
    for qualifier in PLAN_BEGIN:
        for period in periods:
            if period.qualifier.code == qualifier:
                return period.start
    return None


def _ends(periods: list[DatePeriod]) -> date | None:
    # Plan end (347) and eligibility end (357) are single dates; 291 and 307 are ranges.
    for qualifier in PLAN_END:
        for period in periods:
            if period.qualifier.code == qualifier and period.end:
                return period.end
            if period.qualifier.code == qualifier and qualifier in ("347", "357"):
                return period.start
    return None


def _is_mental_health(benefit: Benefit) -> bool:
    # An EB without service types applies to the plan as a whole (service type 30).
    return not benefit.service_types or any(
        service.code in MENTAL_HEALTH_SERVICE_TYPES for service in benefit.service_types
    )


def _specificity(benefit: Benefit) -> int:
    codes = [service.code for service in benefit.service_types] or ["30"]
    return min(
        (MENTAL_HEALTH_SERVICE_TYPES.index(code) for code in codes if code in MENTAL_HEALTH_SERVICE_TYPES),
        default=len(MENTAL_HEALTH_SERVICE_TYPES),
    )


def _network(benefit: Benefit) -> str:
    return NETWORK_INDICATORS.get(
        benefit.in_network.code if benefit.in_network else "U", "network not stated"
    )


def _cost_shares(benefits: list[Benefit], code: str, kind: str) -> list[CostShare]:
    chosen = sorted((benefit for benefit in benefits if benefit.code == code), key=_specificity)
    return [_cost_share(benefit, kind) for benefit in chosen]


def _cost_share(benefit: Benefit, kind: str) -> CostShare:
    services = [service for service in benefit.service_types if service.code in MENTAL_HEALTH_SERVICE_TYPES]
    percent = benefit.percent * 100 if benefit.percent is not None else None
    return CostShare(
        kind=kind,
        service_types=services or [Code("30", SERVICE_TYPES["30"])],
        network=_network(benefit),
        amount=benefit.amount if kind == "copay" else None,
        percent=percent if kind == "coinsurance" else None,
        time_period=benefit.time_period.meaning if benefit.time_period else "",
        coverage_level=benefit.coverage_level.meaning if benefit.coverage_level else "",
        places_of_service=[place.meaning for place in benefit.places_of_service],
        authorization_required=benefit.authorization_required,
        messages=list(benefit.messages),
    )


def _accumulators(benefits: list[Benefit], code: str) -> list[Accumulator]:
    """Merge the total (calendar year etc.), year-to-date and remaining EBs per network."""
    found: dict[tuple[str, str], Accumulator] = {}
    for benefit in sorted((b for b in benefits if b.code == code and b.amount is not None), key=_specificity):
        level = benefit.coverage_level.meaning if benefit.coverage_level else "individual"
        key = (_network(benefit), level)
        accumulator = found.setdefault(key, Accumulator(*key))
        period = benefit.time_period.code if benefit.time_period else ""
        if period in ("29", "33"):
            accumulator.remaining = _keep_first(accumulator.remaining, benefit.amount)
        elif period == "24":
            accumulator.met = _keep_first(accumulator.met, benefit.amount)
        elif accumulator.total is None:
            accumulator.total = benefit.amount
            accumulator.period = benefit.time_period.meaning if benefit.time_period else ""
    for accumulator in found.values():
        _fill_in(accumulator)
    return list(found.values())


def _keep_first(current, amount):
    # The most specific service type was read first; a plan-wide figure does not replace it.
    return amount if current is None else current


def _fill_in(accumulator: Accumulator) -> None:
    total, met, remaining = accumulator.total, accumulator.met, accumulator.remaining
    if total is not None and remaining is not None and met is None:
        accumulator.met = max(total - remaining, Decimal(0))
    elif total is not None and met is not None and remaining is None:
        accumulator.remaining = max(total - met, Decimal(0))


def _limitation(benefit: Benefit) -> str:
    """A limit such as "20 visits per service year" (EB01 F with a quantity or an amount)."""
    services = _services(benefit)
    if benefit.quantity is not None:
        unit = benefit.quantity_qualifier.meaning if benefit.quantity_qualifier else ""
        limit = f"limited to {benefit.quantity.normalize():f} {unit}".rstrip()
    elif benefit.amount is not None:
        limit = f"limited to {_money(benefit.amount)}"
    else:
        limit = "limits apply"
    period = f" per {benefit.time_period.meaning}" if benefit.time_period else ""
    return f"{services.capitalize()}: {limit}{period}."


def _services(benefit: Benefit) -> str:
    return " / ".join(service.meaning for service in benefit.service_types) or "the plan"


def _authorization(benefits: list[Benefit]) -> bool | None:
    answers = {benefit.authorization_required for benefit in benefits} - {None}
    return True if True in answers else (False if answers else None)


def _contacts(benefits: list[Benefit]) -> list[str]:
    """Whom else to call: EB U names a company (often a behavioural-health carve-out)."""
    contacts = []
    for benefit in benefits:
        if benefit.code != "U":
            continue
        services = ", ".join(service.meaning for service in benefit.service_types)
        for entity in benefit.related_entities:
            channels = "; ".join(
                f"{kind} {value}" for contact in entity.contacts for kind, value in contact.channels.items()
            )
            text = f"For {services or 'these benefits'}, contact {entity.name}"
            contacts.append(text + (f" ({channels})" if channels else ""))
    return contacts


def _lines(summary: BehavioralHealthSummary) -> list[str]:
    lines = [_status_line(summary)]
    for rejection in summary.rejections:
        lines.append(f"The payer could not answer: {rejection.reason.meaning}. {rejection.what_to_fix}")
    lines += [_cost_share_line(share) for share in summary.copays + summary.coinsurance]
    lines += [_accumulator_line("Deductible", item) for item in summary.deductibles]
    lines += [_accumulator_line("Out-of-pocket maximum", item) for item in summary.out_of_pocket]
    lines += summary.limitations
    lines += [f"Not covered: {services}." for services in summary.not_covered]
    if summary.authorization_required:
        lines.append("Prior authorisation is required for some mental health services.")
    lines += [contact + "." for contact in summary.contacts]
    lines += summary.messages
    if summary.status == "active" and summary.in_network is None:
        lines.append(
            "The response does not confirm whether this clinic is in the plan's "
            "network; check the payer directory."
        )
    return lines


def _status_line(summary: BehavioralHealthSummary) -> str:
    plan = f" ({summary.plan_name})" if summary.plan_name else ""
    begins, ends = summary.coverage_begins, summary.coverage_ends
    if summary.status == "inactive":
        return f"Coverage is not active{plan}" + (f"; it ended on {_day(ends)}." if ends else ".")
    if summary.status == "active":
        dates = f" from {_day(begins)}" if begins else ""
        dates += f" to {_day(ends)}" if ends else ""
        return f"Coverage is active{plan}{dates}."
    if summary.status == "rejected":
        return "The payer did not confirm coverage."
    return "The response does not say whether coverage is active."


def _cost_share_line(share: CostShare) -> str:
    services = " / ".join(service.meaning for service in share.service_types)
    where = f" ({', '.join(share.places_of_service)})" if share.places_of_service else ""
    per = f" per {share.time_period}" if share.time_period == "visit" else ""
    if share.kind == "copay":
        cost = f"{_money(share.amount)} copay{per}" if share.amount is not None else "copay"
    else:
        percent = f"{share.percent.normalize():f}%" if share.percent is not None else "a share"
        cost = f"you pay {percent} (coinsurance)"
    return f"{services.capitalize()}, {share.network}{where}: {cost}."


def _accumulator_line(name: str, item: Accumulator) -> str:
    parts = []
    if item.total is not None:
        parts.append(f"{_money(item.total)}" + (f" per {item.period}" if item.period else ""))
    if item.remaining is not None:
        parts.append(f"{_money(item.remaining)} remaining")
    if item.met is not None:
        parts.append(f"{_money(item.met)} met so far")
    return f"{name}, {item.network}, {item.coverage_level}: {'; '.join(parts)}."


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _day(moment: date) -> str:
    return f"{moment.day} {moment:%B %Y}"
