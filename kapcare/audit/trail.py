"""Recording what people do with health information. Call `record` from every view and model
method that reads or writes it; the request supplies who, role, clinic and address."""

import threading
from contextlib import contextmanager

from django.conf import settings

from kapcare.audit.models import Action, AuditEvent, append_all

_held = threading.local()


def client_address(request) -> str | None:
    """The address the request came from. Behind `PROXY_COUNT` proxies of our own, the connection
    comes from the nearest proxy, and the client is the entry that many places from the right of
    X-Forwarded-For (each proxy appends the address it saw); entries further left are whatever the
    client sent and are never trusted. Without proxies, REMOTE_ADDR only."""
    count = settings.PROXY_COUNT
    if count:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR") or None


def record(request, action: str, obj=None, *, patient=None, clinic=None, detail=None, actor=None):
    """Write one audit event. `obj` is the record touched; `patient` the person it is about."""
    fields = event_fields(request, action, obj, patient=patient, clinic=clinic, detail=detail, actor=actor)
    return write([fields])[0]


def record_each(request, action: str, touched: list[tuple], *, clinic=None, actor=None) -> list:
    """One audit event per (record, detail) in `touched`, each with the patient its record is
    about, written together: a device post of readings for many patients, say."""
    return write(
        [
            event_fields(request, action, obj, clinic=clinic, detail=detail, actor=actor)
            for obj, detail in touched
        ]
    )


@contextmanager
def held_to_the_end():
    """Hold the events recorded in this block and write them all at its end, with one call of
    `append_all` (on PostgreSQL one statement). Inside a transaction they are written still inside
    it, just before the commit, so the chain head is locked from then to the commit rather than
    for most of the request. Outside one (the API's reads) that statement is a transaction of its
    own, holding the head's lock for itself alone. If the block raises, its events are dropped
    with it (and with its transaction); if writing them fails, the block raises, so a caller never
    gives out what it could not audit. Events held so are returned unsaved (no pk) by `record`."""
    if getattr(_held, "events", None) is not None:
        yield  # already held by an enclosing block, which writes them
        return
    _held.events = []
    try:
        yield
        if _held.events:
            append_all(_held.events)
    finally:
        _held.events = None


def write(rows: list[dict]) -> list:
    held = getattr(_held, "events", None)
    if held is None:
        return append_all(rows)
    held.extend(rows)
    return [AuditEvent(**fields) for fields in rows]


def event_fields(
    request, action: str, obj=None, *, patient=None, clinic=None, detail=None, actor=None
) -> dict:
    user = getattr(request, "user", None) if request is not None else None
    membership = getattr(request, "membership", None) if request is not None else None
    if actor is None and user is not None and user.is_authenticated:
        actor = user
    if clinic is None and obj is not None:
        clinic = getattr(obj, "clinic_id", None)
    if clinic is None and membership is not None:
        clinic = membership.clinic_id
    if patient is None and obj is not None:
        patient = getattr(obj, "patient_id", None)
    return dict(
        actor_id=getattr(actor, "pk", None),
        actor=getattr(actor, "email", None) or str(actor or ""),
        role=membership.role if membership else (getattr(request, "audit_role", "") if request else ""),
        clinic_id=getattr(clinic, "pk", clinic),
        patient_id=getattr(patient, "pk", patient),
        action=Action(action),
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        address=client_address(request) if request is not None else None,
        path=request.get_full_path()[:500] if request is not None else "",
        detail=detail or {},
    )
