"""What a 270 eligibility inquiry asks, as plain dataclasses (input to build_270)."""

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Subscriber:
    """The person who holds the coverage, as printed on the insurance card."""

    last_name: str
    first_name: str
    member_id: str
    birth_date: date | None = None
    gender: str = ""  # F, M, U or blank


@dataclass(frozen=True, slots=True)
class Dependent:
    """A patient covered through the subscriber who has no member ID of their own."""

    last_name: str
    first_name: str
    birth_date: date
    gender: str = ""
    relationship: str = "19"  # 01 spouse, 19 child, 34 other adult


@dataclass(frozen=True, slots=True)
class EligibilityInquiry:
    """One 270: ask one payer about one patient and one behavioural-health service type.

    The caller supplies the control numbers so it can store them with the check and match
    the 271 that answers it. `trace_number`, when given, goes in TRN02 and BHT03 and comes
    back in the 271's TRN.
    """

    provider_npi: str
    provider_name: str
    payer_id: str
    payer_name: str
    subscriber: Subscriber
    service_type: str
    service_date: date
    created: datetime
    interchange_control_number: int
    group_control_number: int
    transaction_control_number: str
    dependent: Dependent | None = None
    trace_number: str = ""
    sender_id: str = "KAPCARE"  # ISA06/GS02, as agreed with the clearinghouse
    receiver_id: str = "CLEARINGHOUSE"  # ISA08/GS03
    usage: str = "P"  # ISA15: P production, T test

    @property
    def patient(self) -> Subscriber | Dependent:
        return self.dependent or self.subscriber
