"""Dosing sessions: the session and its pre-checks, the dose and the controlled-substance log,
monitoring and alerts, and the Spravato REMS form."""

from kapcare.sessions.models.dose import (  # noqa: F401
    Administration,
    DoseOrder,
    LedgerEntry,
    LedgerKind,
    Stock,
)
from kapcare.sessions.models.monitoring import (  # noqa: F401
    AdverseEvent,
    Alert,
    AlertRule,
    EventKind,
    Outcome,
    Rating,
    RatingKind,
    SessionNote,
    Severity,
    Source,
    TemperatureUnit,
    VitalSign,
)
from kapcare.sessions.models.rems import RemsForm  # noqa: F401
from kapcare.sessions.models.session import (  # noqa: F401
    ACTIVE_STATES,
    AddressCorrection,
    CheckKind,
    DosingSession,
    Frozen,
    Medication,
    PreCheck,
    SessionError,
    SessionTransition,
    Setting,
    State,
)
