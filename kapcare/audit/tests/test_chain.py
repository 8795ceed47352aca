"""Adding events to the chain: on PostgreSQL the database numbers and hashes them in the one
statement that writes them (migration 0003); the chain verifies however they were added, and
concurrent callers leave no gap."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from kapcare.audit.models import AuditEvent, append, append_all
from kapcare.audit.verify import verify_chain

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own path")


def visit(n, **extra):
    return dict(actor=f"user{n}@example.org", action="view", object_type="Patient", object_id=str(n), **extra)


@pytest.mark.django_db
def test_the_hashed_string_is_the_events_fields_as_sorted_compact_json():
    """The string hashed has not changed, so chains written before still verify."""
    import json
    from datetime import UTC

    event = append(**visit(1, clinic_id=3, address="203.0.113.7", detail={"b": [1, 2.5], "a": "ü"}))
    fields = {
        name: getattr(event, name)
        for name in ("seq", "actor_id", "actor", "role", "clinic_id", "patient_id", "action")
        + ("object_type", "object_id", "address", "path", "detail")
    } | {"at": event.at.astimezone(UTC).isoformat(timespec="microseconds")}
    assert event.canonical() == json.dumps(fields, sort_keys=True, separators=(",", ":"))


@pytest.mark.django_db
def test_one_event_then_several_at_once_verify_as_stored():
    first = append(**visit(1))
    several = append_all(
        [
            visit(2, detail={"query": "Zoë O'Brien", "ids": ["7", "8"], "ratio": 0.1}),
            visit(3, clinic_id=1, patient_id=9, address="2001:db8::1", path="/fhir/R4/Patient?name=%25"),
            visit(4, detail={"nested": {"z": None, "a": True}}),
        ]
    )
    assert [e.seq for e in [first, *several]] == [1, 2, 3, 4]
    assert [e.prev_hash for e in several] == [first.hash, several[0].hash, several[1].hash]
    stored = {e.seq: e for e in AuditEvent.objects.all()}
    for event in [first, *several]:
        kept = stored[event.seq]
        assert (kept.pk, kept.hash, kept.at) == (event.pk, event.hash, event.at)
        assert kept.compute_hash() == kept.hash
    verdict = verify_chain()
    assert verdict.intact and verdict.checked == 4, verdict.message


@on_postgresql
@pytest.mark.django_db
def test_on_postgresql_a_calls_events_are_one_statement():
    append(**visit(0))
    with CaptureQueriesContext(connection) as queries:
        append_all([visit(1), visit(2), visit(3)])
    assert len(queries) == 1
    assert verify_chain().intact


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_callers_appending_at_once_leave_a_chain_without_gaps():
    """Some callers in autocommit, some inside a transaction of their own, some writing several
    events: all wait their turn on the chain head, and the chain verifies."""
    callers, rounds = 6, 15
    start, errors = threading.Barrier(callers), []

    def caller(number):
        try:
            start.wait()
            for n in range(rounds):
                rows = [visit(number * 100 + n)] * (1 + number % 3)
                if number % 2:
                    with transaction.atomic():
                        append_all(rows)
                else:
                    append_all(rows)
        except Exception as error:  # kept to assert on
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = sum(rounds * (1 + number % 3) for number in range(callers))
    verdict = verify_chain()
    assert verdict.intact and verdict.checked == expected, verdict.message
