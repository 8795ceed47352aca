"""The audit trail: who, role, clinic, patient, action, object, time and address; append-only;
hash-chained; `kapcare audit verify` finds any altered or deleted event."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from kapcare.audit.models import AppendOnly, AuditEvent, append
from kapcare.audit.verify import verify_chain


def events(n):
    for i in range(n):
        append(actor=f"user{i}@example.org", action="view", object_type="Patient", object_id=str(i))


def raw_sql(sql, params=()):
    """Change the table behind the ORM's back, as a database owner could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # skips the append-only trigger
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_opening_a_chart_records_who_role_clinic_patient_and_address(client, nurse, patient, signed_in):
    signed_in(nurse)
    client.get(reverse("patients:chart", args=[patient.pk]), REMOTE_ADDR="203.0.113.7")
    event = AuditEvent.objects.filter(action="view").get()
    assert (event.actor, event.actor_id, event.role) == (nurse.email, nurse.pk, "nurse")
    assert (event.clinic_id, event.patient_id) == (patient.clinic_id, patient.pk)
    assert (event.object_type, event.object_id) == ("Patient", str(patient.pk))
    assert event.address == "203.0.113.7"
    assert event.path == f"/staff/patients/{patient.pk}/"


def test_searching_the_patient_list_is_recorded(client, nurse, patient, signed_in):
    signed_in(nurse)
    client.get(reverse("patients:list"), {"q": "Quill"})
    event = AuditEvent.objects.filter(action="list").latest("seq")
    assert event.detail["query"] == "Quill"


def test_editing_a_patient_is_recorded_with_the_fields_changed(client, intake, patient, signed_in):
    signed_in(intake)
    data = {
        f: getattr(patient, f)
        for f in ("legal_first_name", "legal_last_name", "date_of_birth", "sex_at_birth")
    }
    data |= {"preferred_language": "Portuguese", "phone": "+16175550123"}
    client.post(reverse("patients:edit", args=[patient.pk]), data)
    event = AuditEvent.objects.filter(action="update").get()
    assert "preferred_language" in event.detail["fields"]


@pytest.mark.django_db
def test_an_untouched_trail_verifies():
    events(5)
    verdict = verify_chain()
    assert verdict.intact and verdict.checked == 5
    call_command("audit", "verify")


@pytest.mark.django_db
def test_verify_names_the_first_altered_event():
    events(5)
    raw_sql("UPDATE audit_auditevent SET actor = %s WHERE seq = 3", ["someone-else@example.org"])
    with pytest.raises(CommandError, match="broken at event #3: event #3 was altered"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_verify_notices_a_deleted_event():
    events(5)
    raw_sql("DELETE FROM audit_auditevent WHERE seq = 2")
    with pytest.raises(CommandError, match="event #2 is missing"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_verify_notices_the_newest_events_were_cut_off():
    events(5)
    raw_sql("DELETE FROM audit_auditevent WHERE seq >= 4")
    verdict = verify_chain()
    assert not verdict.intact and verdict.broken_seq == 4


@pytest.mark.django_db
def test_verify_notices_a_rehashed_forgery():
    """Rewriting an event and its own hash still breaks the link from the next event."""
    events(4)
    forged = AuditEvent.objects.get(seq=2)
    forged.actor = "forger@example.org"
    raw_sql(
        "UPDATE audit_auditevent SET actor = %s, hash = %s WHERE seq = 2",
        [forged.actor, forged.compute_hash()],
    )
    verdict = verify_chain()
    assert not verdict.intact and verdict.broken_seq == 3


@pytest.mark.django_db
def test_the_orm_refuses_to_change_or_delete_events():
    events(1)
    event = AuditEvent.objects.get()
    event.actor = "x"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.all().update(actor="x")
    with pytest.raises(AppendOnly):
        AuditEvent.objects.all().delete()


@pytest.mark.django_db
def test_postgresql_itself_refuses_to_change_events():
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    from django.db import DatabaseError, transaction

    events(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET actor = 'x'")


def test_admins_filter_the_log_and_other_roles_may_not(client, admin, nurse, patient, signed_in):
    signed_in(nurse)
    client.get(reverse("patients:chart", args=[patient.pk]))
    assert client.get(reverse("audit:log")).status_code == 403
    signed_in(admin)
    page = client.get(reverse("audit:log"), {"actor": "nurse@", "action": "view"}).content.decode()
    assert "nurse@riverside.example" in page and "Daisy Quillfeather (K000001)" in page
    page = client.get(reverse("audit:log"), {"actor": "nobody"}).content.decode()
    assert "No events match" in page


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.4", "10.0.0.2"),  # no proxy of ours: the header is the client's word only
        (1, "198.51.100.4", "198.51.100.4"),
        (1, "6.6.6.6, 198.51.100.4", "198.51.100.4"),  # the client's own entry is not trusted
        (2, "198.51.100.4, 10.0.0.9", "198.51.100.4"),
        (2, "10.0.0.9", "10.0.0.2"),  # fewer entries than proxies: something is wrong, use the peer
        (1, "", "10.0.0.2"),
    ],
)
def test_the_address_recorded_is_the_clients_as_the_clinics_proxies_saw_it(
    settings, rf, proxies, forwarded, expected
):
    from kapcare.audit.trail import client_address

    settings.PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected
