"""The portal home lists the questionnaires the signed-in patient still has to answer."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from kapcare.measures.models import Assignment, Invitation
from kapcare.portal.tests.conftest import portal_sign_in


def invite(patient, instrument, by, channel="sms", **fields):
    assignment = Assignment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        instrument=instrument,
        schedule="once",
        channel=channel,
        created_by=by,
    )
    fields.setdefault("due_at", timezone.now())
    return Invitation.objects.create(
        clinic=patient.clinic,
        patient=patient,
        assignment=assignment,
        instrument=instrument,
        occasion=f"once-{channel}",
        **fields,
    )


def test_the_portal_lists_open_questionnaires_with_their_link(client, patient, phq9, gad7, prescriber):
    invite(patient, phq9, prescriber)
    invite(patient, gad7, prescriber, channel="email", used_at=timezone.now())
    body = (
        portal_sign_in(client, patient)
        .get(reverse("portal:questionnaires"), headers={"HX-Request": "true"})
        .content.decode()
    )
    assert "Patient Health Questionnaire-9" in body and "/q/" in body
    assert "Generalized Anxiety" not in body  # already answered


def test_questionnaires_not_yet_due_or_for_the_clinic_are_not_listed(client, patient, phq9, prescriber):
    invite(patient, phq9, prescriber, due_at=timezone.now() + timedelta(days=2))
    invite(patient, phq9, prescriber, channel="clinic")
    body = portal_sign_in(client, patient).get(reverse("portal:questionnaires")).content.decode()
    assert "There is nothing to answer at the moment" in body


def test_another_patients_questionnaires_are_not_listed(client, patient, phq9, prescriber, clinic):
    from kapcare.patients.models import Patient

    other = Patient.objects.create(
        clinic=clinic,
        legal_first_name="Other",
        legal_last_name="Person",
        date_of_birth=patient.date_of_birth,
        sex_at_birth="male",
    )
    invite(other, phq9, prescriber)
    body = portal_sign_in(client, patient).get(reverse("portal:questionnaires")).content.decode()
    assert "/q/" not in body


def test_without_portal_sign_in_the_panel_sends_the_patient_to_sign_in(client, patient):
    page = client.get(reverse("portal:questionnaires"))
    assert page.status_code == 302 and page.url == reverse("portal:signin")


def test_the_panel_keeps_its_address_and_each_visit_is_audited_with_the_patient_as_actor(client, patient):
    from kapcare.audit.models import AuditEvent

    assert reverse("portal:questionnaires") == "/portal/questionnaires/"
    portal_sign_in(client, patient).get(reverse("portal:questionnaires"))
    event = AuditEvent.objects.filter(detail__page="portal:questionnaires").get()
    assert (event.actor, event.patient_id) == (f"patient {patient.pk}", patient.pk)


def test_measures_code_never_imports_the_portal():
    """design.md: fhir, portal and website sit on top; nothing clinical imports them."""
    import ast
    from pathlib import Path

    app = Path(__file__).resolve().parents[1]
    offenders = []
    for source in app.rglob("*.py"):
        if "tests" in source.parts:
            continue
        for node in ast.walk(ast.parse(source.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            offenders += [f"{source.name}: {n}" for n in names if n.startswith("kapcare.portal")]
    assert offenders == []
