"""Dosing and therapy sessions as Encounter and Appointment, doses as MedicationAdministration,
and session adverse events as AdverseEvent: read and searched, within the clinic and the scopes."""

from datetime import timedelta

import pytest
from django.utils import timezone
from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.medicationadministration import MedicationAdministration

from kapcare.fhir.tests.conftest import body
from kapcare.integration.models import TherapySession
from kapcare.sessions.models import AdverseEvent as SessionAdverseEvent
from kapcare.sessions.tests.conftest import (  # noqa: F401 - fixtures
    PRODUCT,
    active_course,
    cleared,
    dosed,
    nurse2,
    ordered,
    quick_consent_pdf,
    ready_patient,
    session,
)


@pytest.fixture
def integration(dosed, therapist):
    return TherapySession.objects.create(
        clinic=dosed.clinic,
        patient=dosed.patient,
        course=dosed.course,
        kind="integration",
        follows_dosing_id=dosed.pk,
        scheduled_at=timezone.now() + timedelta(days=1),
        therapist=therapist,
        created_by=therapist,
    )


@pytest.fixture
def adverse_event(dosed, nurse):
    return SessionAdverseEvent.objects.create(
        session=dosed,
        kind="nausea",
        severity="moderate",
        serious=False,
        action_taken="Ondansetron given.",
        outcome="improving",
        onset_at=timezone.now() - timedelta(minutes=10),
        by=nurse,
    )


def test_a_dosing_session_is_an_encounter_and_an_appointment(fhir, dosed, patient):
    api = fhir()
    encounter = body(api.get(f"Encounter/dosing-{dosed.pk}"))
    Encounter.model_validate(encounter)
    assert encounter["status"] == "in-progress"
    assert encounter["subject"] == {"reference": f"Patient/{patient.pk}"}
    appointment = body(api.get(f"Appointment/dosing-{dosed.pk}"))
    Appointment.model_validate(appointment)
    assert appointment["status"] == "arrived"


def test_an_integration_session_is_an_encounter_part_of_its_dosing_session(
    fhir, integration, dosed, therapist
):
    api = fhir()
    encounter = body(api.get(f"Encounter/therapy-{integration.pk}"))
    Encounter.model_validate(encounter)
    assert encounter["status"] == "planned"
    assert encounter["partOf"] == {"reference": f"Encounter/dosing-{dosed.pk}"}
    appointment = body(api.get(f"Appointment/therapy-{integration.pk}"))
    Appointment.model_validate(appointment)
    assert appointment["status"] == "booked"
    assert {"reference": f"Practitioner/{therapist.pk}"} in [p["actor"] for p in appointment["participant"]]


@pytest.mark.parametrize(
    ("params", "ids"),
    [
        ({}, ["dosing", "therapy"]),
        ({"status": "planned"}, ["therapy"]),
        ({"status": "in-progress"}, ["dosing"]),
        ({"type": "integration"}, ["therapy"]),
        # Neither has ended (one is in progress, one planned): a period without an end runs on.
        ({"date": "ge2100-01-01"}, ["dosing", "therapy"]),
        ({"date": "sa2100-01-01"}, []),
        ({"date": "lt2000-01-01"}, []),
    ],
)
def test_encounters_are_searched_by_patient_status_type_and_date(fhir, integration, patient, params, ids):
    found = body(fhir().get("Encounter", {"patient": patient.pk, **params}))
    assert [e["resource"]["id"].split("-")[0] for e in found["entry"]] == ids
    assert found["total"] == len(ids)


def test_a_dose_given_is_a_medication_administration_with_route_dose_and_lot(fhir, dosed, patient, nurse):
    api = fhir()
    found = body(api.get("MedicationAdministration", {"patient": patient.pk}))
    assert found["total"] == 1
    given = found["entry"][0]["resource"]
    MedicationAdministration.model_validate(given)
    assert given["dosage"]["route"] == {"text": "iv"}
    assert given["dosage"]["dose"]["value"] == 35 and given["dosage"]["dose"]["code"] == "mg"
    assert given["contained"][0]["batch"] == {"lotNumber": "K2026A"}
    assert PRODUCT in given["contained"][0]["code"]["text"]
    assert given["context"] == {"reference": f"Encounter/dosing-{dosed.pk}"}
    assert given["performer"][0]["actor"] == {"reference": f"Practitioner/{nurse.pk}"}


def test_a_session_adverse_event_is_an_adverse_event_with_its_seriousness(fhir, adverse_event, patient):
    api = fhir()
    event = body(api.get(f"AdverseEvent/{adverse_event.pk}"))
    AdverseEvent.model_validate(event)
    assert event["seriousness"]["coding"][0]["code"] == "non-serious"
    assert event["severity"]["coding"][0]["code"] == "moderate"
    assert event["outcome"]["coding"][0]["code"] == "recovering"
    assert body(api.get("AdverseEvent", {"seriousness": "serious"}))["total"] == 0
    assert body(api.get("AdverseEvent", {"seriousness": "non-serious", "patient": patient.pk}))["total"] == 1


def test_another_clinic_and_another_patient_see_none_of_it(fhir, other_clinic, clinic, adverse_event, dosed):
    from kapcare.patients.models import Patient

    outsider = fhir(clinic_=other_clinic)
    for url in (
        f"Encounter/dosing-{dosed.pk}",
        f"AdverseEvent/{adverse_event.pk}",
        f"Appointment/dosing-{dosed.pk}",
    ):
        assert outsider.get(url).status_code == 404
    assert body(outsider.get("MedicationAdministration"))["total"] == 0
    other = Patient.objects.create(
        clinic=clinic,
        legal_first_name="Ona",
        legal_last_name="Brill",
        date_of_birth="1990-01-01",
        sex_at_birth="female",
    )
    theirs = fhir("patient/*.read", patient=other)
    assert theirs.get(f"Encounter/dosing-{dosed.pk}").status_code == 404
    assert body(theirs.get("AdverseEvent"))["total"] == 0


def test_reading_a_session_is_audited(fhir, dosed, patient):
    from kapcare.audit.models import AuditEvent

    fhir().get(f"Encounter/dosing-{dosed.pk}")
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.patient_id, event.detail["fhir"]) == (
        "view",
        patient.pk,
        f"Encounter/dosing-{dosed.pk}",
    )


def test_these_types_are_read_only(fhir, dosed):
    response = fhir().post(
        "Encounter", {"resourceType": "Encounter", "status": "planned", "class": {"code": "AMB"}}
    )
    assert response.status_code == 405


def test_the_capability_statement_lists_them_with_the_vital_sign_profiles(client):
    statement = body(client.get("/fhir/R4/metadata"))
    kinds = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {"Encounter", "Appointment", "MedicationAdministration", "AdverseEvent"} <= set(kinds)
    assert "create" not in [i["code"] for i in kinds["Encounter"]["interaction"]]
    assert "create" in [i["code"] for i in kinds["Observation"]["interaction"]]
    assert (
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-blood-pressure"
        in kinds["Observation"]["supportedProfile"]
    )


def test_a_dose_booked_from_an_esketamine_plan_is_administered_as_esketamine(
    fhir, ready_patient, active_course, patient, nurse, nurse2, prescriber
):
    from decimal import Decimal

    from kapcare.evaluation.tests.factories import signed_esketamine_plan
    from kapcare.sessions.models import dose
    from kapcare.sessions.scheduling import schedule_from_plan
    from kapcare.sessions.tests.conftest import GOOD_ANSWERS

    site = active_course.clinic.sites.get()
    session = schedule_from_plan(
        signed_esketamine_plan(active_course),
        active_course,
        planned_start=timezone.now(),
        site=site,
        room=site.rooms.first(),
        by=nurse,
    )
    session.check_in(by=nurse, answers=dict(GOOD_ANSWERS))
    dose.order_dose(session, by=prescriber, route="intranasal", amount_mg=Decimal("56"))
    dose.receive(session.site, "Spravato 28 mg device", 280, by=nurse, lot="ES123")
    dose.administer(
        session,
        by=nurse,
        verified_by=nurse2,
        given_at=timezone.now(),
        route="intranasal",
        amount_mg=Decimal("56"),
        product="Spravato 28 mg device",
        lot="ES123",
    )
    given = body(fhir().get("MedicationAdministration", {"patient": patient.pk}))["entry"][0]["resource"]
    assert given["contained"][0]["code"]["text"] == "Esketamine (Spravato): Spravato 28 mg device"
    assert given["dosage"]["route"] == {"text": "intranasal"} and given["dosage"]["dose"]["value"] == 56


def test_a_therapy_session_cancelled_after_a_sync_is_found_by_last_update(fhir, integration, therapist):
    TherapySession.objects.filter(pk=integration.pk).update(updated_at=timezone.now() - timedelta(days=30))
    synced = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    api = fhir()

    def changed(kind):
        return [e["resource"]["id"] for e in body(api.get(kind, {"_lastUpdated": f"gt{synced}"}))["entry"]]

    mine = f"therapy-{integration.pk}"
    assert mine not in changed("Encounter") + changed("Appointment")  # booked a month ago
    integration.refresh_from_db()
    integration.set_status("cancelled", by=therapist)
    assert mine in changed("Encounter") and mine in changed("Appointment")
