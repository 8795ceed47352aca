"""Patients created at the same moment each get their own MRN (PostgreSQL: real concurrent writers)."""

import threading
import time
from datetime import date

import pytest
from django.db import connection, connections

from kapcare.patients import models as patient_models
from kapcare.patients.models import Patient, Sex

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite takes one writer at a time; the race needs PostgreSQL"
)

WRITERS = 6


def slow_next_mrn(monkeypatch):
    """Widen the window between reading the highest MRN and inserting the patient, as a busy
    server would: without the clinic's row held, every writer reads the same highest MRN."""
    real = patient_models.next_mrn

    def slow(clinic_id):
        mrn = real(clinic_id)
        time.sleep(0.2)
        return mrn

    monkeypatch.setattr(patient_models, "next_mrn", slow)


def create_at_once(create) -> list:
    start, errors = threading.Barrier(WRITERS), []

    def writer(n):
        try:
            start.wait()
            create(n)
        except Exception as error:  # kept to assert on: a lost MRN race raises IntegrityError
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_patients_created_at_once_each_get_the_next_mrn_in_turn(clinic, monkeypatch):
    slow_next_mrn(monkeypatch)

    def create(n):
        Patient.objects.create(
            clinic_id=clinic.pk,
            legal_first_name=f"Writer{n}",
            legal_last_name="Race",
            date_of_birth=date(1980, 1, 1),
            sex_at_birth=Sex.FEMALE,
        )

    assert create_at_once(create) == []
    mrns = sorted(Patient.objects.filter(clinic=clinic).values_list("mrn", flat=True))
    assert mrns == [f"K{n:06d}" for n in range(1, WRITERS + 1)]


@pytest.mark.django_db(transaction=True)
def test_fhir_creates_at_once_each_get_their_own_mrn(clinic, monkeypatch):
    from kapcare.fhir.mappers.patient import PatientMapper

    slow_next_mrn(monkeypatch)
    caller = type("Caller", (), {"clinic": clinic})()
    resource = {
        "resourceType": "Patient",
        "name": [{"family": "Race", "given": ["Fhir"]}],
        "birthDate": "1980-01-01",
        "gender": "female",
    }

    def create(n):
        from django.db import transaction

        with transaction.atomic():
            PatientMapper().create(resource, caller=caller)

    assert create_at_once(create) == []
    assert Patient.objects.filter(clinic=clinic).values("mrn").distinct().count() == WRITERS
