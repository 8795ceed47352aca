"""A patient ready for a dosing session (active course, signed consent, confirmed checklist) and
sessions at each step, made through the same methods the pages call."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import make_member
from kapcare.clinics.roles import Role
from kapcare.evaluation.tests.factories import make_evaluation, signed_decision
from kapcare.patients.consent import ConsentDocument, ConsentKind, ConsentSignature
from kapcare.patients.preparation import PreparationConfirmation
from kapcare.sessions.models import DosingSession, VitalSign, dose

GOOD_ANSWERS = {
    "identity_confirmed": True,
    "medications_changed": False,
    "medication_changes": "",
    "new_conditions": False,
    "new_conditions_detail": "",
    "pregnancy": "test_negative",
    "systolic": 124,
    "diastolic": 78,
    "heart_rate": 72,
    "spo2": 98,
    "resp_rate": 14,
    "weight_kg": Decimal("70.0"),
}
PRODUCT = "Ketamine HCl 50 mg/mL"


@pytest.fixture(autouse=True)
def quick_consent_pdf(monkeypatch):
    # The consent PDF is the patients app's concern; a dosing-session test only needs the signature.
    monkeypatch.setattr(ConsentSignature, "render_pdf", lambda self: b"%PDF-1.7 test")


@pytest.fixture
def nurse2(clinic):
    return make_member(clinic, Role.NURSE, "nurse2@riverside.example", "Jo Marsh", "RN")


@pytest.fixture
def active_course(course, prescriber):
    make_evaluation(course)
    signed_decision(course, by=prescriber)
    course.decide("eligible", by=prescriber)
    course.start(by=prescriber)
    return course


def sign_consent(patient, by):
    document = (
        ConsentDocument.objects.filter(clinic=patient.clinic, kind=ConsentKind.KAP)
        .order_by("-version")
        .first()
    )
    if document is None:
        document = ConsentDocument.publish(
            patient.clinic, ConsentKind.KAP, "Informed consent", "I understand.", by=by
        )
    return document.sign(
        patient,
        typed_name=patient.legal_name,
        shown_version=document.version,
        shown_sha256=document.sha256,
        channel="clinic",
        actor=by,
    )


def confirm_checklist(patient):
    today = timezone.localtime(timezone.now(), patient.clinic.zone).date()
    return PreparationConfirmation.confirm(patient, today)


@pytest.fixture
def ready_patient(patient, active_course, prescriber):
    sign_consent(patient, prescriber)
    confirm_checklist(patient)
    return patient


def schedule(course, by, **extra):
    site = course.clinic.sites.get()
    fields = {"route": "iv", "planned_mg_per_kg": Decimal("0.5")} | extra
    return DosingSession.objects.select_related("protocol", "patient", "site", "course").get(
        pk=DosingSession.schedule(
            course, site=site, room=site.rooms.first(), planned_start=timezone.now(), by=by, **fields
        ).pk
    )


@pytest.fixture
def session(ready_patient, active_course, nurse):
    return schedule(active_course, nurse)


@pytest.fixture
def cleared(session, nurse):
    session.check_in(by=nurse, answers=dict(GOOD_ANSWERS))
    assert session.state == "cleared", session.held_reason
    return session


@pytest.fixture
def ordered(cleared, prescriber):
    dose.order_dose(cleared, by=prescriber, route="iv", mg_per_kg=Decimal("0.5"))
    return cleared


def give(session, nurse, verifier, minutes_ago=30):
    """Give the ordered dose `minutes_ago`; the check-in and its readings move to just before it."""
    dose.receive(session.site, PRODUCT, 500, by=nurse, lot="K2026A")
    order = session.orders.first()
    given_at = timezone.now() - timedelta(minutes=minutes_ago)
    VitalSign.objects.filter(session=session, pre_dose=True).update(taken_at=given_at - timedelta(minutes=5))
    session.transitions.update(at=given_at - timedelta(minutes=10))
    return dose.administer(
        session,
        by=nurse,
        verified_by=verifier,
        given_at=given_at,
        route=order.route,
        amount_mg=order.amount_mg,
        product=PRODUCT,
        lot="K2026A",
    )


@pytest.fixture
def dosed(ordered, nurse, nurse2):
    give(ordered, nurse, nurse2)
    return ordered
