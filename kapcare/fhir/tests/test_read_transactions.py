"""An API read writes nothing but its audit events (views.fhir_endpoint, `reads`): on PostgreSQL
it runs without a transaction, its audit events one statement of their own, so a search costs no
BEGIN and COMMIT and does not hold the audit chain's head across round trips. Writes keep their
transaction. A read whose audit events cannot be written answers an error, never the data."""

import pytest
from django.db import DatabaseError, connection

from kapcare.audit.models import AuditEvent
from kapcare.audit.verify import verify_chain
from kapcare.fhir.tests.conftest import body, issues

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="autocommit on PostgreSQL")


class Watched:
    """Each query a call sends, and whether it ran inside a transaction (an atomic block, or
    autocommit off: either way psycopg would have sent BEGIN before it)."""

    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        wrapper = context["connection"]
        self.queries.append((sql, wrapper.in_atomic_block or not wrapper.get_autocommit()))
        return execute(sql, params, many, context)

    def in_transaction(self):
        return [sql for sql, inside in self.queries if inside]


def watched(call):
    watch = Watched()
    with connection.execute_wrapper(watch):
        response = call()
    return response, watch


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_search_on_postgresql_opens_no_transaction_and_audits_in_one_statement(fhir, patient):
    api = fhir()
    api.get("Patient", {"family": "Quillfeather"})  # the first read writes the patient's version
    response, watch = watched(lambda: api.get("Patient", {"family": "Quillfeather", "_count": 20}))
    assert response.status_code == 200 and body(response)["total"] == 1
    assert watch.in_transaction() == []
    # The token, the search, the latest versions, the audit events.
    assert len(watch.queries) <= 4
    assert sum("audit_" in sql for sql, _ in watch.queries) == 1
    assert AuditEvent.objects.filter(action="list").count() == 2
    assert verify_chain().intact


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_reads_and_history_on_postgresql_open_no_transaction(fhir, patient):
    api = fhir()
    for url in [
        f"Patient/{patient.pk}",
        f"Patient/{patient.pk}/_history",
        f"Patient/{patient.pk}/_history/1",
    ]:
        response, watch = watched(lambda url=url: api.get(url))
        assert response.status_code == 200, url
        assert watch.in_transaction() == [], url
    assert verify_chain().intact


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_create_still_writes_its_record_and_audit_events_in_one_transaction(fhir):
    api = fhir()
    new = {
        "resourceType": "Patient",
        "name": [{"family": "Okafor", "given": ["Ngozi"]}],
        "birthDate": "1979-05-02",
    }
    response, watch = watched(lambda: api.post("Patient", new))
    assert response.status_code == 201
    outside = [sql for sql, inside in watch.queries if not inside]
    assert all("fhir_apitoken" in sql for sql in outside)  # the caller's token, found before it
    assert any('INSERT INTO "patients_patient"' in sql for sql in watch.in_transaction())
    assert any("audit_chain" in sql for sql in watch.in_transaction())


@pytest.mark.parametrize("url", ["Patient/{pk}", "Patient?family=Quillfeather"])
def test_a_read_whose_audit_events_cannot_be_written_answers_an_error_not_the_data(
    fhir, patient, monkeypatch, url
):
    def refused(rows):
        raise DatabaseError("could not extend file: No space left on device")

    monkeypatch.setattr("kapcare.audit.trail.append_all", refused)
    response = fhir().get(url.format(pk=patient.pk))
    assert response.status_code == 500
    assert issues(response)[0]["code"] == "exception"
    assert b"Quillfeather" not in response.content
