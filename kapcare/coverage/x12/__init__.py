"""kapcare's X12 5010 eligibility module: 270 inquiries and 271 responses (005010X279A1).

No maintained Python library reads and writes 5010 270/271, so kapcare keeps its own, small
and model-free (no Django). Start with:

    build_270(EligibilityInquiry(...)) -> str
    parse_271(text) -> EligibilityResponse      (parse_271s for batches)
    behavioral_health_summary(response) -> BehavioralHealthSummary
    parse_270(text) -> EligibilityInquiry

Every problem with the text raises X12Error naming the segment and its position.
"""

from .build import build_270, is_valid_npi, write_interchange
from .codes import BEHAVIORAL_HEALTH_SERVICE_TYPES
from .envelope import Envelope, read_interchange
from .errors import InquiryError, X12Error
from .inquiry import Dependent, EligibilityInquiry, Subscriber
from .parse_270 import parse_270
from .parse_271 import parse_271, parse_271s
from .response import (
    Address,
    Benefit,
    Code,
    Contact,
    DatePeriod,
    EligibilityResponse,
    Member,
    Party,
    Reference,
    Rejection,
    UnparsedSegment,
)
from .segments import Delimiters, tokenize
from .summary import Accumulator, BehavioralHealthSummary, CostShare, behavioral_health_summary

__all__ = [
    "BEHAVIORAL_HEALTH_SERVICE_TYPES",
    "Accumulator",
    "Address",
    "BehavioralHealthSummary",
    "Benefit",
    "Code",
    "Contact",
    "CostShare",
    "DatePeriod",
    "Delimiters",
    "Dependent",
    "EligibilityInquiry",
    "EligibilityResponse",
    "Envelope",
    "InquiryError",
    "Member",
    "Party",
    "Reference",
    "Rejection",
    "Subscriber",
    "UnparsedSegment",
    "X12Error",
    "behavioral_health_summary",
    "build_270",
    "is_valid_npi",
    "parse_270",
    "parse_271",
    "parse_271s",
    "read_interchange",
    "tokenize",
    "write_interchange",
]
