"""Running an eligibility check: build the 270, ask the clearinghouse, read the 271, store it whole.

`check_coverage(coverage, by=...)` for a patient's coverage and `check_lead(lead, by=...)` for a
coverage-verification lead. Either stores one EligibilityCheck, or raises CheckFailed with a
message for staff and stores nothing: a 271 that cannot be read in full is never half-kept.
"""

import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kapcare.audit.trail import record
from kapcare.coverage.clearinghouse import ClearinghouseError, get_clearinghouse
from kapcare.coverage.models import (
    X12_RELATIONSHIPS,
    ControlNumber,
    Coverage,
    CoverageSettings,
    EligibilityCheck,
    Payer,
    PlanType,
)
from kapcare.coverage.x12 import (
    Dependent,
    EligibilityInquiry,
    InquiryError,
    Subscriber,
    X12Error,
    behavioral_health_summary,
    build_270,
    parse_271,
)

GENDERS = {"female": "F", "male": "M", "intersex": "U"}
# EB04 insurance type, when the payer names it, tells the plan type the directory is keyed on.
PLAN_TYPES_BY_INSURANCE_TYPE = {
    "PR": PlanType.PPO,
    "HM": PlanType.HMO,
    "HN": PlanType.HMO,
    "EP": PlanType.EPO,
    "PS": PlanType.POS,
    "MA": PlanType.MEDICARE,
    "MB": PlanType.MEDICARE,
    "MP": PlanType.MEDICARE,
    "MC": PlanType.MEDICAID,
}
NOT_CONFIRMED = "The response does not confirm whether this clinic is in the plan's network"


class CheckFailed(Exception):
    """The check could not be completed; `message` says why and what to do. Nothing was stored."""

    def __init__(self, message: str, error: dict | None = None):
        super().__init__(message)
        self.message, self.error = message, error or {}


@dataclass
class Person:
    first_name: str
    last_name: str
    birth_date: date | None
    gender: str = ""


@dataclass
class Question:
    """Everything one check asks, whoever it is for."""

    clinic: object
    payer: Payer | None
    payer_name: str
    payer_id: str
    member_id: str
    subscriber: Person
    patient: Person | None  # a dependent; None when the patient is the subscriber
    relationship: str
    plan_type: str
    service_type: str


def check_coverage(
    coverage: Coverage, *, by, request=None, service_type: str = "", automatic=False, clearinghouse=None
):
    """Ask the payer about a patient's coverage now; store and audit the answer."""
    patient = coverage.patient
    me = Person(
        patient.legal_first_name,
        patient.legal_last_name,
        patient.date_of_birth,
        GENDERS.get(patient.sex_at_birth, ""),
    )
    if coverage.is_dependent:
        subscriber = Person(
            coverage.subscriber_first_name, coverage.subscriber_last_name, coverage.subscriber_date_of_birth
        )
    else:
        subscriber, me = me, None
    question = Question(
        clinic=coverage.clinic,
        payer=coverage.payer,
        payer_name=coverage.payer.name,
        payer_id=coverage.payer.payer_id,
        member_id=coverage.member_id,
        subscriber=subscriber,
        patient=me,
        relationship=coverage.relationship,
        plan_type=coverage.plan_type,
        service_type=service_type,
    )
    return run(
        question,
        by=by,
        request=request,
        automatic=automatic,
        clearinghouse=clearinghouse,
        stored={"coverage": coverage, "patient": patient},
    )


def check_lead(lead, *, by, request=None, service_type: str = "", clearinghouse=None):
    """Ask the payer about what a coverage-verification lead told us."""
    asked = lead.coverage
    payer = payer_for_lead(lead)
    subscriber = Person(*split_name(asked.subscriber_name), asked.subscriber_date_of_birth)
    me = None
    if asked.relationship != "self":
        if not lead.date_of_birth:
            raise CheckFailed(
                "The patient is a dependant: ask the person for the patient's date of birth first."
            )
        me = Person(*split_name(lead.name), lead.date_of_birth)
    question = Question(
        clinic=lead.clinic,
        payer=payer,
        payer_name=payer.name if payer else asked.payer_name,
        payer_id=payer.payer_id if payer else "",
        member_id=asked.member_id,
        subscriber=subscriber,
        patient=me,
        relationship=asked.relationship,
        plan_type="",
        service_type=service_type,
    )
    return run(question, by=by, request=request, clearinghouse=clearinghouse, stored={"lead_id": lead.pk})


def payer_for_lead(lead) -> Payer | None:
    """The directory's payer the person chose (by ID or name), if the clinic has it."""
    asked = lead.coverage
    payers = Payer.objects.filter(clinic_id=lead.clinic_id)
    ref = asked.payer_ref.strip()
    if ref:
        found = payers.filter(payer_id=ref).first()
        if found is None and ref.isdigit():
            found = payers.filter(pk=ref).first()
        if found:
            return found
    return payers.filter(name__iexact=asked.payer_name.strip()).first()


def split_name(name: str) -> tuple[str, str]:
    """A name typed in one box: the last word is the last name, as on most US cards."""
    words = name.split()
    if len(words) < 2:
        raise CheckFailed(f"Give the subscriber's first and last name as on the card (got {name!r}).")
    return " ".join(words[:-1]), words[-1]


def run(
    question: Question, *, by, request=None, automatic=False, clearinghouse=None, stored: dict
) -> EligibilityCheck:
    options = CoverageSettings.for_clinic(question.clinic)
    if not options.billing_npi:
        raise CheckFailed("Set the clinic's billing NPI in the coverage settings before running checks.")
    if not question.payer_id:
        raise CheckFailed(
            f"{question.payer_name} has no payer ID in the clinic's payer directory; add it first."
        )
    clearinghouse = clearinghouse or get_clearinghouse()
    control = ControlNumber.next_for(question.clinic.pk)
    inquiry = build_inquiry(question, options, control)
    try:
        request_270 = build_270(inquiry)
        response_271 = clearinghouse.exchange(inquiry, request_270)
        response = parse_271(response_271)
        if clearinghouse.sends_our_270:
            _check_trace(response, inquiry)
    except InquiryError as error:
        raise _failed(
            request, question, stored, by, f"The inquiry cannot be sent: {_field(error)} {error.message}."
        ) from error
    except ClearinghouseError as error:
        raise _failed(request, question, stored, by, str(error)) from error
    except X12Error as error:
        raise _failed(
            request,
            question,
            stored,
            by,
            f"The payer's answer could not be read, so nothing was kept: {error}.",
            error.to_dict(),
        ) from error
    summary = behavioral_health_summary(response)
    plan_type = question.plan_type or _plan_type(response)
    network = network_answer(question.payer, plan_type, question.payer_name)
    result = {
        "response": response.to_dict(),
        "summary": summary.to_dict(),
        "plan_type": plan_type,
        "network": network,
        "answers": answers(summary.to_dict(), network),
    }
    with transaction.atomic():
        check = EligibilityCheck.objects.create(
            clinic=question.clinic,
            payer=question.payer,
            payer_name=question.payer_name,
            payer_code=question.payer_id,
            service_type=inquiry.service_type,
            service_date=inquiry.service_date,
            control_number=control,
            trace_number=inquiry.trace_number,
            clearinghouse=clearinghouse.name,
            request_270=request_270,
            response_271=response_271,
            result=result,
            status=summary.status,
            in_network=network["in_network"],
            ran_by=by,
            automatic=automatic,
            **stored,
        )
        record(
            request,
            "create",
            check,
            patient=check.patient_id,
            actor=by,
            detail={
                "clearinghouse": clearinghouse.name,
                "status": check.status,
                "lead": check.lead_id,
                "automatic": automatic,
            },
        )
    return check


def build_inquiry(question: Question, options: CoverageSettings, control: int) -> EligibilityInquiry:
    subscriber, patient = question.subscriber, question.patient
    dependent = None
    if patient is not None:
        dependent = Dependent(
            x12_text(patient.last_name),
            x12_text(patient.first_name),
            patient.birth_date,
            patient.gender,
            X12_RELATIONSHIPS.get(question.relationship, "34"),
        )
    now = timezone.now()
    return EligibilityInquiry(
        provider_npi=options.billing_npi,
        provider_name=x12_text(options.provider_name),
        payer_id=question.payer_id,
        payer_name=x12_text(question.payer_name),
        subscriber=Subscriber(
            x12_text(subscriber.last_name),
            x12_text(subscriber.first_name),
            question.member_id.strip().upper(),
            subscriber.birth_date,
            subscriber.gender,
        ),
        dependent=dependent,
        service_type=question.service_type or options.service_type,
        service_date=timezone.localdate(now, question.clinic.zone),
        created=now,
        interchange_control_number=control,
        group_control_number=control,
        transaction_control_number=f"{control:04d}",
        trace_number=f"KAP{question.clinic.pk}-{control}",
        sender_id=settings.COVERAGE_X12_SENDER_ID,
        receiver_id=settings.COVERAGE_X12_RECEIVER_ID,
        usage=settings.COVERAGE_X12_USAGE,
    )


def x12_text(value: str) -> str:
    """Names as payers hold them: capitals, plain letters (Zoë → ZOE), no X12 delimiters."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    for char in "*~:^|>":
        plain = plain.replace(char, " ")
    return " ".join(plain.split()).upper()


def _field(error: InquiryError) -> str:
    return error.field.replace("_", " ").replace(".", "'s ")


def _check_trace(response, inquiry: EligibilityInquiry) -> None:
    """A 271 that carries trace numbers must carry ours, or it answers someone else's inquiry."""
    traces = [
        trace
        for subscriber in response.subscribers
        for member in (subscriber, *subscriber.dependents)
        for trace in member.trace_numbers
    ]
    if traces and inquiry.trace_number not in traces:
        raise ClearinghouseError(
            f"The answer is for another inquiry (trace {traces[0]}, not "
            f"{inquiry.trace_number}); nothing was kept. Run the check again."
        )


def _failed(request, question: Question, stored: dict, by, message: str, error=None) -> CheckFailed:
    # The 270 left the clinic even when the answer is unusable: that disclosure is audited.
    record(
        request,
        "export",
        stored.get("coverage"),
        patient=stored.get("patient"),
        clinic=question.clinic.pk,
        actor=by,
        detail={"eligibility_check": "failed", "lead": stored.get("lead_id"), "reason": message},
    )
    return CheckFailed(message, error)


def _plan_type(response) -> str:
    patient = response.patient
    for benefit in patient.benefits if patient else []:
        if benefit.insurance_type and benefit.insurance_type.code in PLAN_TYPES_BY_INSURANCE_TYPE:
            return PLAN_TYPES_BY_INSURANCE_TYPE[benefit.insurance_type.code]
    return ""


def network_answer(payer: Payer | None, plan_type: str, payer_name: str) -> dict:
    """Whether the clinic is in network, from its own payer directory (a 271 rarely says)."""
    kind = PlanType(plan_type).label if plan_type in PlanType.values else ""
    if payer is None:
        return {
            "in_network": None,
            "text": f"Not known: {payer_name} is not in the clinic's payer directory.",
        }
    if not payer.in_network:
        text = f"No: the clinic is not in {payer.name}'s network; out-of-network benefits apply."
        answer = False
    elif not kind:
        text = (
            f"Probably: the clinic is in network with {payer.name} for {_kinds(payer)} plans; "
            "the plan type is not known."
        )
        answer = None
    elif payer.in_network_for(plan_type):
        text, answer = f"Yes: the clinic is in network with {payer.name} {kind} plans.", True
    else:
        text = f"No: the clinic is in network with {payer.name} only for {_kinds(payer)} plans, not {kind}."
        answer = False
    carve_out = payer.carve_out
    if carve_out is not None:
        status = "in network" if carve_out.in_network else "not in network"
        text += f" Mental-health benefits are managed by {carve_out.name}; the clinic is {status} with them."
    return {"in_network": answer, "text": text}


def _kinds(payer: Payer) -> str:
    return ", ".join(payer.plan_type_labels()) or "no"


def answers(summary: dict, network: dict) -> list[dict]:
    """The four questions a person asks first, answered in plain words."""
    rows = [
        {"question": "Is the coverage active?", "answer": _active(summary), "tone": _tone(summary["active"])},
        {
            "question": "Is the clinic in network?",
            "answer": network["text"],
            "tone": _tone(network["in_network"]),
        },
        {
            "question": "What does a psychotherapy or outpatient psychiatric visit cost?",
            "answer": _visit_cost(summary),
            "tone": "info",
        },
        {"question": "How much of the deductible is met?", "answer": _deductible(summary), "tone": "info"},
    ]
    if summary.get("contacts"):
        rows.append(
            {"question": "Who else to call?", "answer": "; ".join(summary["contacts"]) + ".", "tone": "warn"}
        )
    return rows


def _tone(flag) -> str:
    return {True: "ok", False: "bad"}.get(flag, "warn")


def _active(summary: dict) -> str:
    status = summary["status"]
    if status == "active":
        begins = summary.get("coverage_begins")
        return "Yes" + (f", since {_day(begins)}." if begins else ".")
    if status == "inactive":
        ends = summary.get("coverage_ends")
        return "No" + (f": it ended on {_day(ends)}." if ends else ".")
    if summary.get("rejections"):
        first = summary["rejections"][0]
        return f"The payer could not answer: {first['reason']['meaning']}. {first['what_to_fix']}"
    return "The payer did not say."


def _visit_cost(summary: dict) -> str:
    parts = []
    for share in summary.get("copays", []):
        parts.append(f"{_money(share['amount'])} copay {share['network']}{_where(share)}")
    for share in summary.get("coinsurance", []):
        parts.append(f"{_percent(share['percent'])} coinsurance {share['network']}{_where(share)}")
    return ("; ".join(parts) + ".") if parts else "The payer did not say."


def _where(share: dict) -> str:
    return f" ({', '.join(share['places_of_service'])})" if share.get("places_of_service") else ""


def _deductible(summary: dict) -> str:
    parts = []
    for item in summary.get("deductibles", []):
        if item.get("total") is None and item.get("met") is None:
            continue
        met = _money(item["met"]) if item.get("met") is not None else "an unstated amount"
        total = f" of {_money(item['total'])}" if item.get("total") is not None else ""
        left = f", {_money(item['remaining'])} left" if item.get("remaining") is not None else ""
        parts.append(f"{met}{total} met{left} ({item['network']}, {item['coverage_level']})")
    return ("; ".join(parts) + ".") if parts else "The payer did not say."


def detail_lines(check: EligibilityCheck) -> list[str]:
    """The summary's sentences, less the network caveat when the directory answered it."""
    known = check.result.get("network", {}).get("in_network") is not None
    return [line for line in check.lines if not (known and line.startswith(NOT_CONFIRMED))]


def _money(value) -> str:
    try:
        return f"${Decimal(value):,.2f}"
    except (InvalidOperation, TypeError):
        return "an unstated amount"


def _percent(value) -> str:
    try:
        return f"{Decimal(value).normalize():f}%"
    except (InvalidOperation, TypeError):
        return "a share"


def _day(iso: str) -> str:
    moment = date.fromisoformat(iso)
    return f"{moment.day} {moment:%B %Y}"
