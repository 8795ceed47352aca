"""What a 271 eligibility response says, as plain dataclasses.

Every code keeps its X12 value next to plain words (`Code`), so staff can read the result and
support can still match it to the payer's companion guide. Nothing a payer sends is dropped:
unknown codes read "unknown code X" and segments kapcare does not model go to `unparsed`.
"""

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal

from .envelope import Envelope


@dataclass(frozen=True, slots=True)
class Code:
    """An X12 code and its plain meaning; frozen, so parsed results can share instances."""

    code: str
    meaning: str


@dataclass(slots=True)
class DatePeriod:
    """A DTP segment; a single date (format D8) has no end."""

    qualifier: Code
    start: date
    end: date | None = None


@dataclass(slots=True)
class Reference:
    """A REF segment: an identifier such as the group number, with its description."""

    qualifier: Code
    value: str
    description: str = ""


@dataclass(slots=True)
class Address:
    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""


@dataclass(slots=True)
class Contact:
    """A PER segment: whom to call, and how (telephone, fax, email, web address)."""

    name: str = ""
    channels: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Rejection:
    """An AAA segment: the payer could not answer all or part of the inquiry."""

    loop: str
    request_valid: bool
    reason: Code
    what_to_fix: str
    follow_up: Code | None
    position: int


@dataclass(slots=True)
class UnparsedSegment:
    """A segment kapcare does not model, kept verbatim with where it was found."""

    loop: str
    position: int
    segment_id: str
    elements: list[str]


@dataclass(slots=True)
class Party:
    """An organisation or person named by NM1: the payer, the provider, a carve-out company."""

    entity: Code
    name: str
    id_qualifier: str = ""
    id: str = ""
    first_name: str = ""
    address: Address | None = None
    contacts: list[Contact] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


@dataclass(slots=True)
class Benefit:
    """One EB loop (2110C/D): a coverage status or a cost share for some service types.

    `percent` is a fraction as X12 sends it: 0.2 is 20 per cent.
    """

    code: str
    meaning: str
    position: int
    coverage_level: Code | None = None
    service_types: list[Code] = field(default_factory=list)
    insurance_type: Code | None = None
    plan_description: str = ""
    time_period: Code | None = None
    amount: Decimal | None = None
    percent: Decimal | None = None
    quantity_qualifier: Code | None = None
    quantity: Decimal | None = None
    authorization_required: bool | None = None
    in_network: Code | None = None
    procedure: list[str] = field(default_factory=list)
    dates: list[DatePeriod] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    places_of_service: list[Code] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    related_entities: list[Party] = field(default_factory=list)


@dataclass(slots=True)
class Member:
    """The subscriber (loop 2000C) or a dependent (2000D), and their coverage."""

    loop: str
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    suffix: str = ""
    member_id: str = ""
    birth_date: date | None = None
    gender: str = ""
    address: Address | None = None
    relationship: Code | None = None
    group_number: str = ""
    group_name: str = ""
    plan_number: str = ""
    plan_name: str = ""
    trace_numbers: list[str] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    dates: list[DatePeriod] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    benefits: list[Benefit] = field(default_factory=list)
    dependents: list["Member"] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join(
            part for part in (self.first_name, self.middle_name, self.last_name, self.suffix) if part
        )


@dataclass(slots=True)
class EligibilityResponse:
    """A parsed 271: who answered, for whom, and every benefit and rejection they sent."""

    envelope: Envelope
    reference: str
    created: datetime | None
    information_source: Party
    receiver: Party | None = None
    subscribers: list[Member] = field(default_factory=list)
    unparsed: list[UnparsedSegment] = field(default_factory=list)

    @property
    def subscriber(self) -> Member | None:
        return self.subscribers[0] if self.subscribers else None

    @property
    def patient(self) -> Member | None:
        """The person the inquiry was about: the first dependent if any, else the subscriber."""
        subscriber = self.subscriber
        if subscriber and subscriber.dependents:
            return subscriber.dependents[0]
        return subscriber

    def all_rejections(self) -> list[Rejection]:
        """Every AAA at every level, in the order the payer sent them."""
        found = list(self.information_source.rejections)
        if self.receiver:
            found += self.receiver.rejections
        for subscriber in self.subscribers:
            for member in (subscriber, *subscriber.dependents):
                found += member.rejections
                for benefit in member.benefits:
                    found += benefit.rejections
        return sorted(found, key=lambda rejection: rejection.position)

    def to_dict(self) -> dict:
        return to_jsonable(self)


def to_jsonable(value):
    """Turn the dataclasses above into JSON-ready dicts, lists and strings."""
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: to_jsonable(item) for key, item in value.items()}
    if isinstance(value, Decimal | date):  # datetime is a date
        return value.isoformat() if isinstance(value, date) else str(value)
    return value
