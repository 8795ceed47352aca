"""Vital signs from devices: FHIR Observations, single or batched, idempotent by identifier, attached
to the patient's active session; refused posts answer an OperationOutcome and store nothing."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kapcare.fhir.models import ApiToken
from kapcare.sessions.devices import ingest_observations
from kapcare.sessions.models import Alert, DosingSession, VitalSign
from kapcare.sessions.tests.fhir_readings import blood_pressure, bundle, heart_rate, single, spo2

URL = "/api/devices/observations"


@pytest.fixture
def token(clinic):
    _, secret = ApiToken.issue(clinic=clinic, scopes="system/Observation.write", name="Willow monitor bridge")
    return secret


def post(client, body, secret):
    return client.post(
        URL,
        data=json.dumps(body),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def test_a_blood_pressure_observation_is_stored_on_the_active_session(client, dosed, token):
    response = post(client, blood_pressure(dosed.patient_id, 132, 84, ident="r1"), token)
    assert response.status_code == 201
    reading = VitalSign.objects.get(source="device")
    assert (reading.session, reading.systolic, reading.diastolic) == (dosed, 132, 84)
    assert reading.device == "Willow monitor"
    assert response.json()["id"] == f"vs-{reading.pk}-bp"


def test_the_same_reading_posted_twice_is_stored_once(client, dosed, token):
    body = heart_rate(dosed.patient_id, 88, ident="hr-1")
    assert post(client, body, token).status_code == 201
    assert post(client, body, token).status_code == 200
    assert VitalSign.objects.filter(source="device").count() == 1


def test_a_batch_stores_each_reading_and_answers_each_entry(client, dosed, token):
    start = dosed.dosed_at + timedelta(minutes=1)
    body = bundle(
        [
            heart_rate(dosed.patient_id, 80 + n, ident=f"b{n}", at=start + timedelta(minutes=n))
            for n in range(5)
        ]
    )
    response = post(client, body, token)
    assert response.status_code == 200
    assert [e["response"]["status"] for e in response.json()["entry"]] == ["201 Created"] * 5
    assert VitalSign.objects.filter(source="device").count() == 5


def test_a_batch_with_repeats_stores_each_identifier_once(client, dosed, token):
    reading = spo2(dosed.patient_id, 97, ident="o1")
    response = post(client, bundle([reading, reading]), token)
    assert [e["response"]["status"] for e in response.json()["entry"]] == ["201 Created", "200 OK"]
    assert VitalSign.objects.filter(source="device").count() == 1


def test_a_batch_mixing_stored_new_and_unidentified_readings_answers_each_with_its_own_row(
    client, dosed, token
):
    start = dosed.dosed_at + timedelta(minutes=1)
    kept = post(client, heart_rate(dosed.patient_id, 81, ident="m1", at=start), token).json()
    unnamed = [
        heart_rate(dosed.patient_id, 90 + n, ident="", at=start + timedelta(minutes=n)) for n in (1, 2)
    ]
    for reading in unnamed:
        reading.pop("identifier", None)
    fresh = heart_rate(dosed.patient_id, 84, ident="m2", at=start + timedelta(minutes=3))
    again = heart_rate(dosed.patient_id, 81, ident="m1", at=start)
    entries = post(client, bundle([unnamed[0], again, fresh, unnamed[1]]), token).json()["entry"]
    assert [e["response"]["status"] for e in entries] == [
        "201 Created",
        "200 OK",
        "201 Created",
        "201 Created",
    ]
    assert entries[1]["resource"]["id"] == kept["id"]
    rows = {f"vs-{v.pk}-hr": v.heart_rate for v in VitalSign.objects.filter(source="device")}
    assert [rows[e["resource"]["id"]] for e in entries] == [91, 81, 84, 92]
    assert len(rows) == 4


def test_an_unknown_patient_is_refused_with_an_operation_outcome_and_nothing_stored(client, dosed, token):
    response = post(client, heart_rate(999999, 80, ident="x1"), token)
    assert response.status_code == 404
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert "Patient/999999 is not a patient of this clinic" in body["issue"][0]["diagnostics"]
    assert not VitalSign.objects.filter(identifier__contains="x1").exists()


def test_a_patient_of_another_clinic_is_unknown_here(client, dosed, other_clinic):
    _, other = ApiToken.issue(clinic=other_clinic, scopes="system/Observation.write", name="Hillside bridge")
    response = post(client, heart_rate(dosed.patient_id, 80, ident="x2"), other)
    assert response.status_code == 404
    assert VitalSign.objects.filter(source="device").count() == 0


def test_a_patient_without_an_active_session_is_refused_and_nothing_stored(client, dosed, token, prescriber):
    dosed.abort(by=prescriber, reason="Stopped")
    response = post(client, heart_rate(dosed.patient_id, 80, ident="x3"), token)
    assert response.status_code == 409
    assert "no dosing session in progress" in response.json()["issue"][0]["diagnostics"]
    assert VitalSign.objects.filter(source="device").count() == 0


def test_a_reading_dated_by_the_day_alone_is_refused_by_the_device_endpoint(client, dosed, token):
    # The FHIR API keeps such a reading as history; a monitor's reading belongs to a session.
    reading = heart_rate(dosed.patient_id, 80, ident="x4") | {
        "effectiveDateTime": timezone.localdate().isoformat()
    }
    response = post(client, reading, token)
    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert "a session's reading is kept at the moment it was taken" in issue["diagnostics"]
    assert issue["expression"] == ["Observation.effectiveDateTime"]
    assert VitalSign.objects.filter(source="device").count() == 0


def test_a_batch_refuses_the_bad_entries_and_keeps_the_good(client, dosed, token):
    body = bundle(
        [
            heart_rate(dosed.patient_id, 80, ident="g1"),
            heart_rate(424242, 80, ident="g2"),
            blood_pressure(dosed.patient_id, 120, 130, ident="g3"),
        ]
    )
    statuses = [e["response"]["status"] for e in post(client, body, token).json()["entry"]]
    assert statuses == ["201 Created", "404 Not Found", "422 Unprocessable Entity"]
    assert list(VitalSign.objects.filter(source="device").values_list("identifier", flat=True)) == [
        "urn:example:monitor:room-willow|g1"
    ]


def test_a_transaction_with_a_bad_entry_stores_nothing(client, dosed, token):
    body = bundle(
        [heart_rate(dosed.patient_id, 80, ident="t1"), heart_rate(424242, 80, ident="t2")], kind="transaction"
    )
    response = post(client, body, token)
    assert response.status_code == 404
    assert "nothing stored" in response.json()["issue"][0]["diagnostics"]
    assert VitalSign.objects.filter(source="device").count() == 0


@pytest.mark.parametrize(
    "reading, message",
    [
        (lambda pid: blood_pressure(pid, 110, 120, ident="i1"), "at or above the systolic"),
        (lambda pid: spo2(pid, 101, ident="i2"), "cannot exceed 100%"),
        (lambda pid: heart_rate(pid, 0, ident="i3"), "heart rate of 0"),
    ],
)
def test_implausible_device_readings_are_refused(client, dosed, token, reading, message):
    response = post(client, reading(dosed.patient_id), token)
    assert response.status_code == 422
    assert message in response.json()["issue"][0]["diagnostics"]
    assert VitalSign.objects.filter(source="device").count() == 0


def test_a_reading_without_an_identifier_is_kept_as_a_new_reading_each_time(client, dosed, token):
    body = heart_rate(dosed.patient_id, 80, ident="z")
    del body["identifier"]
    assert [post(client, body, token).status_code for _ in range(2)] == [201, 201]
    assert list(VitalSign.objects.filter(source="device").values_list("identifier", flat=True)) == ["", ""]


def test_an_identifier_without_a_value_is_refused(client, dosed, token):
    body = heart_rate(dosed.patient_id, 80, ident="")
    response = post(client, body, token)
    assert response.status_code == 400 and "identifier" in response.json()["issue"][0]["expression"][0]


def test_a_temperature_is_kept_in_celsius_with_the_unit_it_came_in(client, dosed, token):
    body = single(dosed.patient_id, "8310-5", 100.4, "[degF]", ident="t1")
    response = post(client, body, token)
    assert response.status_code == 201 and response.json()["id"].endswith("-temp")
    reading = VitalSign.objects.get(source="device")
    assert (reading.temperature_c, reading.temperature_unit) == (Decimal("38.00"), "[degF]")


def test_a_temperature_that_cannot_be_a_body_is_refused_even_by_a_nurse(client, dosed, token):
    response = post(client, single(dosed.patient_id, "8310-5", 212, "Cel", ident="t2"), token)
    assert response.status_code == 422 and "cannot be real" in response.json()["issue"][0]["diagnostics"]


def test_a_reading_from_before_check_in_is_refused(client, dosed, token):
    taken = dosed.transitions.get(to_state="checked_in").at - timedelta(hours=3)
    response = post(client, heart_rate(dosed.patient_id, 80, ident="old", at=taken), token)
    assert response.status_code == 422
    assert "before" in response.json()["issue"][0]["diagnostics"]
    assert not VitalSign.objects.filter(source="device").exists()


def test_a_reading_in_the_wrong_unit_is_refused(client, dosed, token):
    body = blood_pressure(dosed.patient_id, 120, 80, ident="u1")
    body["component"][0]["valueQuantity"]["code"] = "kPa"
    assert post(client, body, token).status_code == 400


def test_a_reading_given_as_a_bound_is_refused_not_kept_as_the_bound(client, dosed, token):
    """A monitor may send "<40" when the pulse is below what it can count; kept as 40, the chart
    would show a measurement nobody took."""
    body = heart_rate(dosed.patient_id, 40, ident="c1")
    body["valueQuantity"]["comparator"] = "<"
    response = post(client, body, token)
    assert response.status_code == 422
    issue = response.json()["issue"][0]
    assert issue["expression"] == ["Observation.valueQuantity.comparator"] and "< 40" in issue["diagnostics"]
    assert not VitalSign.objects.filter(source="device").exists()


def test_a_post_without_a_token_is_refused(client, dosed):
    response = client.post(
        URL,
        data=json.dumps(heart_rate(dosed.patient_id, 80, ident="n1")),
        content_type="application/fhir+json",
    )
    assert response.status_code == 401
    assert response.json()["resourceType"] == "OperationOutcome"


def test_a_token_without_the_observation_write_scope_is_refused(client, dosed, clinic):
    _, reader = ApiToken.issue(clinic=clinic, scopes="system/*.read", name="registry")
    assert post(client, heart_rate(dosed.patient_id, 80, ident="s1"), reader).status_code == 403


def test_a_revoked_token_is_refused(client, dosed, clinic):
    issued, secret = ApiToken.issue(clinic=clinic, scopes="system/Observation.write", name="old bridge")
    issued.revoke()
    assert post(client, heart_rate(dosed.patient_id, 80, ident="v1"), secret).status_code == 401


def test_a_high_reading_from_a_device_raises_the_protocols_alert(client, dosed, token):
    post(client, blood_pressure(dosed.patient_id, 204, 100, ident="h1", at=timezone.now()), token)
    alert = Alert.objects.get()
    assert alert.rule == "bp_once" and "204/100" in alert.message


def test_consecutive_high_readings_in_one_batch_raise_the_consecutive_alert(dosed):
    start = dosed.dosed_at + timedelta(minutes=10)
    body = bundle(
        [
            blood_pressure(dosed.patient_id, 185, 100, ident=f"c{n}", at=start + timedelta(minutes=5 * n))
            for n in range(2)
        ]
    )
    result = ingest_observations(dosed.clinic, body)
    assert result.created == 2 and result.alerts == 1
    assert Alert.objects.get().rule == "bp_confirmed"


def test_device_posts_are_audited_once_per_session_naming_each_reading(client, dosed, token):
    from kapcare.audit.models import AuditEvent

    before = AuditEvent.objects.count()
    post(client, bundle([heart_rate(dosed.patient_id, 80, ident=f"a{n}") for n in range(10)]), token)
    events = AuditEvent.objects.filter(seq__gt=before, detail__vital_signs_from_device__isnull=False)
    assert [e.detail["vital_signs_from_device"] for e in events] == [10]
    assert events[0].actor.startswith("api-token:")
    stored = VitalSign.objects.filter(source="device").values_list("pk", flat=True)
    assert sorted(events[0].detail["readings"]) == sorted(stored)
    assert (events[0].patient_id, events[0].object_id) == (dosed.patient_id, str(dosed.pk))


def test_a_batch_for_several_patients_is_audited_against_each_patient(dosed):
    from kapcare.audit.models import AuditEvent
    from kapcare.audit.verify import verify_chain
    from kapcare.patients.models import Course, Patient

    other = Patient.objects.create(
        clinic=dosed.clinic, legal_first_name="Rowan", legal_last_name="Ashby", date_of_birth="1979-05-02",
        sex_at_birth="male",
    )  # fmt: skip
    course = Course.objects.create(clinic=dosed.clinic, patient=other, condition="trd", state="active")
    DosingSession.objects.create(
        clinic=dosed.clinic, patient=other, course=course, site=dosed.site, route="iv",
        planned_start=dosed.dosed_at, protocol=dosed.protocol, state="monitoring", dosed_at=dosed.dosed_at,
    )  # fmt: skip
    before = AuditEvent.objects.count()
    readings = [heart_rate(p, 80, ident=f"m{p}-{n}") for p in (dosed.patient_id, other.pk) for n in range(3)]
    assert ingest_observations(dosed.clinic, bundle(readings)).created == 6
    events = AuditEvent.objects.filter(seq__gt=before, detail__vital_signs_from_device__isnull=False)
    assert sorted((e.patient_id, e.detail["vital_signs_from_device"]) for e in events) == sorted(
        [(dosed.patient_id, 3), (other.pk, 3)]
    )
    assert verify_chain().intact


def test_a_batch_mixing_a_stored_reading_and_a_new_one_stores_only_the_new(client, dosed, token):
    post(client, heart_rate(dosed.patient_id, 80, ident="m1"), token)
    response = post(
        client,
        bundle([heart_rate(dosed.patient_id, 80, ident="m1"), spo2(dosed.patient_id, 97, ident="m2")]),
        token,
    )
    assert [e["response"]["status"] for e in response.json()["entry"]] == ["200 OK", "201 Created"]
    stored = VitalSign.objects.filter(source="device").values_list("identifier", flat=True)
    assert sorted(i.split("|")[1] for i in stored) == ["m1", "m2"]


def test_a_high_reading_continues_a_run_begun_in_an_earlier_post(client, dosed, token):
    start = dosed.dosed_at + timedelta(minutes=10)
    post(client, blood_pressure(dosed.patient_id, 185, 100, ident="r1", at=start), token)
    post(
        client, blood_pressure(dosed.patient_id, 120, 80, ident="r2", at=start + timedelta(minutes=2)), token
    )
    assert not Alert.objects.exists()
    post(
        client, blood_pressure(dosed.patient_id, 186, 100, ident="r3", at=start + timedelta(minutes=8)), token
    )
    assert not Alert.objects.exists()  # the normal reading between broke the run
    post(
        client,
        blood_pressure(dosed.patient_id, 187, 101, ident="r4", at=start + timedelta(minutes=13)),
        token,
    )
    assert Alert.objects.get().rule == "bp_confirmed"


def test_a_single_post_takes_the_same_few_queries_however_long_the_history(client, dosed, token):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n):
        with CaptureQueriesContext(connection) as captured:
            assert post(client, heart_rate(dosed.patient_id, 80, ident=f"q{n}"), token).status_code == 201
        return len(captured)

    queries(0)  # the first reading starts monitoring
    first = queries(1)
    VitalSign.objects.bulk_create(
        VitalSign(
            clinic=dosed.clinic, patient=dosed.patient, session=dosed, taken_at=dosed.dosed_at, heart_rate=70
        )
        for _ in range(200)
    )
    assert queries(2) == first <= 12


def test_a_device_reading_outside_the_clinics_plausible_range_is_refused_naming_the_setting(
    client, dosed, token, admin
):
    from kapcare.clinics.models import Protocol

    rules = dosed.protocol.rules
    rules["vitals"]["heart_rate_plausible_high"]["value"] = 150
    protocol = Protocol.revise(dosed.clinic, rules, by=admin, note="Lower heart-rate ceiling")
    type(dosed).objects.filter(pk=dosed.pk).update(protocol=protocol)
    response = post(client, heart_rate(dosed.patient_id, 160, ident="p1"), token)
    assert response.status_code == 422
    diagnostics = response.json()["issue"][0]["diagnostics"]
    assert "outside 30–150 /min" in diagnostics and "vitals.heart_rate_plausible_low and _high" in diagnostics
    assert VitalSign.objects.filter(source="device").count() == 0


def test_a_preliminary_device_reading_is_charted_as_preliminary(client, dosed, token):
    from kapcare.sessions.summary import vital_rows

    body = heart_rate(dosed.patient_id, 78, ident="p1") | {"status": "preliminary"}
    assert post(client, body, token).status_code == 201
    stored = VitalSign.objects.get(source="device")
    assert stored.status == "preliminary"
    assert vital_rows([stored])[0]["source_label"] == "From a device (preliminary)"


def test_a_reading_over_a_period_is_refused_naming_the_period(client, dosed, token):
    body = heart_rate(dosed.patient_id, 78, ident="e1")
    at = body.pop("effectiveDateTime")
    body["effectivePeriod"] = {"start": at, "end": at}
    response = post(client, body, token)
    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert (
        issue["expression"] == ["Observation.effectivePeriod"] and "effectiveDateTime" in issue["diagnostics"]
    )
    assert not VitalSign.objects.filter(source="device").exists()
