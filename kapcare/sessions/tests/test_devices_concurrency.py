"""The same reading posted by two bridges at the same moment is stored once (PostgreSQL: real
concurrent writers; SQLite takes one writer at a time)."""

import threading

import pytest
from django.db import connection, connections

from kapcare.sessions.devices import ingest_observations
from kapcare.sessions.models import VitalSign
from kapcare.sessions.tests.conftest import (  # noqa: F401 - fixtures
    active_course,
    cleared,
    dosed,
    nurse2,
    ordered,
    quick_consent_pdf,
    ready_patient,
    session,
)
from kapcare.sessions.tests.fhir_readings import heart_rate

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the race needs PostgreSQL")
POSTERS = 4


@pytest.mark.django_db(transaction=True)
def test_one_reading_posted_at_once_by_several_bridges_is_stored_once(dosed):
    reading = heart_rate(dosed.patient_id, 88, ident="race-1")
    start, answers, errors = threading.Barrier(POSTERS), [], []

    def poster():
        try:
            start.wait()
            answers.append(ingest_observations(dosed.clinic, reading).entries[0])
        except Exception as error:  # kept to assert on
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=poster) for _ in range(POSTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stored = VitalSign.objects.get(session=dosed, source="device")
    assert sorted(status for status, _ in answers) == [200] * (POSTERS - 1) + [201]
    assert {body["id"] for _, body in answers} == {f"vs-{stored.pk}-hr"}
