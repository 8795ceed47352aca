"""Vital-sign Observations: the dosing sessions' readings read and searched per US Core, and
readings POSTed through the API kept by the sessions app's ingest, as a monitor's are."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources.R4B.observation import Observation

from kapcare.audit.models import AuditEvent
from kapcare.fhir.models import ApiToken, ResourceVersion
from kapcare.fhir.tests.conftest import body, expressions, issues
from kapcare.sessions.models import Alert, VitalSign
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
from kapcare.sessions.tests.fhir_readings import blood_pressure, bundle, heart_rate, spo2
from tests.conformance import US_CORE

PUBLISHED = US_CORE
VITALS = "http://terminology.hl7.org/CodeSystem/observation-category|vital-signs"


def test_check_in_readings_read_as_us_core_vital_signs(fhir, cleared, patient):
    api = fhir()
    reading = VitalSign.objects.get(session=cleared)
    bp = body(api.get(f"Observation/vs-{reading.pk}-bp"))
    Observation.model_validate(bp)
    assert bp["meta"]["profile"] == ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-blood-pressure"]
    assert bp["code"]["coding"][0]["code"] == "85354-9" and "valueQuantity" not in bp
    assert [
        (c["code"]["coding"][0]["code"], c["valueQuantity"]["value"], c["valueQuantity"]["code"])
        for c in bp["component"]
    ] == [("8480-6", 124, "mm[Hg]"), ("8462-4", 78, "mm[Hg]")]
    assert bp["category"][0]["coding"][0]["code"] == "vital-signs"
    assert bp["encounter"] == {"reference": f"Encounter/dosing-{cleared.pk}"}
    spo2_resource = body(api.get(f"Observation/vs-{reading.pk}-spo2"))
    assert {c["code"] for c in spo2_resource["code"]["coding"]} == {"2708-6", "59408-5"}
    assert spo2_resource["valueQuantity"] == {
        "value": 98,
        "unit": "%",
        "system": "http://unitsofmeasure.org",
        "code": "%",
    }
    weight = body(fhir().get("Observation", {"code": "http://loinc.org|29463-7", "patient": patient.pk}))
    assert weight["total"] == 1
    assert weight["entry"][0]["resource"]["valueQuantity"]["value"] == 70
    assert api.get(f"Observation/vs-{reading.pk}").status_code == 404


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"category": "vital-signs"}, 5),
        ({"category": VITALS}, 5),
        ({"category": "survey"}, 0),
        ({"code": "http://loinc.org|8867-4"}, 1),
        ({"code": "85354-9,9279-1"}, 2),
        ({"code": "http://snomed.info/sct|8867-4"}, 0),
        ({"date": "ge2000-01-01", "category": "vital-signs"}, 5),
        ({"date": "lt2000-01-01"}, 0),
        ({"status": "final", "code": "59408-5"}, 1),
    ],
)
def test_vital_signs_are_searched_by_category_code_date_and_patient(fhir, cleared, patient, params, count):
    bundle_ = body(fhir().get("Observation", {"patient": patient.pk, **params}))
    assert bundle_["total"] == count
    assert len(bundle_["entry"]) == count


def test_a_search_across_kinds_pages_and_sorts_by_date(fhir, cleared, patient):
    api = fhir()
    first = body(api.get("Observation", {"patient": patient.pk, "_count": 2, "_sort": "-date"}))
    second = body(
        api.get("Observation", {"patient": patient.pk, "_count": 2, "_offset": 2, "_sort": "-date"})
    )
    ids = [e["resource"]["id"] for e in first["entry"] + second["entry"]]
    assert first["total"] == 5 and len(set(ids)) == 4
    everything = body(api.get("Observation", {"patient": patient.pk, "_count": 10}))
    assert len({e["resource"]["id"] for e in everything["entry"]}) == 5
    assert any(link["relation"] == "next" for link in first["link"])


def test_an_observation_search_takes_a_bounded_number_of_queries(fhir, cleared, patient):
    api = fhir()
    api.get("Observation", {"code": "8867-4"})
    with CaptureQueriesContext(connection) as few:
        api.get("Observation", {"code": "8867-4", "patient": patient.pk})
    for _ in range(5):
        VitalSign.objects.create(
            clinic=cleared.clinic, patient=patient, session=cleared, taken_at=timezone.now(), heart_rate=80
        )
    api.get("Observation", {"code": "8867-4"})
    with CaptureQueriesContext(connection) as more:
        api.get("Observation", {"code": "8867-4", "patient": patient.pk})
    # token and clinic, readings, versions, audit (3), and the savepoints of the test's transactions
    assert len(more) == len(few) <= 11


def test_a_full_page_and_its_total_come_from_one_query(fhir, cleared, patient):
    for n in range(5):
        VitalSign.objects.create(
            clinic=cleared.clinic,
            patient=patient,
            session=cleared,
            taken_at=timezone.now() - timezone.timedelta(minutes=n),
            heart_rate=80 + n,
        )
    api = fhir()
    with CaptureQueriesContext(connection) as queries:
        found = body(api.get("Observation", {"code": "8867-4", "patient": patient.pk, "_count": 2}))
    held = VitalSign.objects.filter(patient=patient, heart_rate__isnull=False).count()
    assert held >= 5 and (found["total"], len(found["entry"])) == (held, 2)
    readings = [q["sql"] for q in queries if VitalSign._meta.db_table in q["sql"]]
    assert len(readings) == 1, readings


EXAMPLES = ["blood-pressure", "heart-rate", "respiratory-rate", "oxygen-saturation", "temperature"]


def published(name):
    """A US Core example Observation as published (tests/conformance/README.md)."""
    return json.loads((PUBLISHED / f"{name}.json").read_text())


def for_a_session(example, patient, taken_at):
    """The example about a patient whose dosing session is in progress, taken during it: the
    published ones are about Patient/example on 1999-07-02. Nothing else is changed."""
    return example | {
        "subject": example["subject"] | {"reference": f"Patient/{patient.pk}"},
        "effectiveDateTime": taken_at.isoformat(),
    }


def quantities(resource):
    found = [resource.get("valueQuantity")] + [c["valueQuantity"] for c in resource.get("component", [])]
    return [(q["value"], q["system"], q["code"]) for q in found if q]


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_published_us_core_vital_sign_posted_for_a_session_reads_back_equivalent(
    fhir, dosed, patient, name
):
    api = fhir("system/Observation.write system/Observation.read")
    taken_at = timezone.now().replace(microsecond=0) - timezone.timedelta(minutes=2)
    example = for_a_session(published(name), patient, taken_at)
    assert "identifier" not in example
    created = api.post("Observation", example)
    assert created.status_code == 201, created.content
    resource = body(api.get(created["Location"].split("/R4/")[1].split("/_history")[0]))
    Observation.model_validate(resource)
    loinc = {c["code"] for c in example["code"]["coding"] if c["system"] == "http://loinc.org"}
    assert loinc <= {c["code"] for c in resource["code"]["coding"]}
    assert resource["status"] == example["status"]
    assert resource["meta"]["profile"][0] == example["meta"]["profile"][0].partition("|")[0]
    # The same quantities in the same units; kapcare keeps a temperature to a hundredth of a degree.
    sent, read = quantities(example), quantities(resource)
    assert [(system, code) for _, system, code in read] == [(system, code) for _, system, code in sent]
    assert all(abs(a[0] - b[0]) <= 0.005 for a, b in zip(read, sent, strict=True))
    assert datetime.fromisoformat(resource["effectiveDateTime"]) == taken_at
    assert resource["category"][0]["coding"][0]["code"] == "vital-signs"
    assert resource["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert "identifier" not in resource
    assert VitalSign.objects.filter(session=dosed, source="device", identifier="").count() == 1
    # The reading as the create answered it is the version a read finds: no second version.
    assert resource["meta"] == body(created)["meta"]
    assert resource["meta"]["versionId"] == "1"


def test_the_published_temperature_is_kept_in_celsius_to_a_hundredth(fhir, dosed, patient):
    example = for_a_session(published("temperature"), patient, timezone.now())
    created = body(fhir().post("Observation", example))
    assert created["valueQuantity"]["value"] == 36.56 and created["id"].endswith("-temp")
    reading = VitalSign.objects.get(session=dosed, source="device")
    assert (reading.temperature_c, reading.temperature_unit) == (Decimal("36.56"), "Cel")


def temperature(patient, value, unit, **extra):
    example = published("temperature")
    quantity = example["valueQuantity"] | {"value": value, "unit": unit, "code": unit}
    return for_a_session(example, patient, timezone.now()) | {"valueQuantity": quantity, **extra}


def test_a_temperature_in_fahrenheit_reads_back_in_fahrenheit(fhir, dosed, patient):
    api = fhir()
    created = api.post("Observation", temperature(patient, 98.6, "[degF]"))
    assert created.status_code == 201, created.content
    reading = VitalSign.objects.get(session=dosed, source="device")
    assert (reading.temperature_c, reading.temperature_unit) == (Decimal("37.00"), "[degF]")
    read = body(api.get(f"Observation/vs-{reading.pk}-temp"))
    assert read["valueQuantity"] == {
        "value": 98.6,
        "unit": "[degF]",
        "system": "http://unitsofmeasure.org",
        "code": "[degF]",
    }


def test_a_temperature_in_another_unit_is_refused_saying_which_units(fhir, dosed, patient):
    response = fhir().post("Observation", temperature(patient, 310, "K"))
    assert response.status_code == 400
    assert "Cel or [degF]" in issues(response)[0]["diagnostics"]
    assert not VitalSign.objects.filter(source="device").exists()


def test_an_implausible_temperature_is_refused_citing_the_protocols_range(fhir, dosed, patient):
    response = fhir().post("Observation", temperature(patient, 30.2, "Cel"))
    assert response.status_code == 422
    assert (
        "outside 35.0–41.0 °C (the protocol's range, marked unverified)" in issues(response)[0]["diagnostics"]
    )
    assert not VitalSign.objects.filter(source="device").exists()


def test_the_plausible_temperature_range_is_the_clinics_protocol_setting(fhir, dosed, patient, admin):
    from kapcare.sessions.tests.test_alerts import use_rules

    use_rules(dosed, admin, lambda r: r["vitals"]["temperature_plausible_low"].update(value=30))
    assert fhir().post("Observation", temperature(patient, 30.2, "Cel")).status_code == 201


def test_temperatures_are_searched_by_their_loinc_code(fhir, dosed, patient):
    api = fhir()
    api.post("Observation", temperature(patient, 37.4, "Cel"))
    found = body(api.get("Observation", {"patient": patient.pk, "code": "http://loinc.org|8310-5"}))
    assert [e["resource"]["valueQuantity"]["value"] for e in found["entry"]] == [37.4]
    profiles = next(
        r["supportedProfile"]
        for r in body(api.get("metadata"))["rest"][0]["resource"]
        if r["type"] == "Observation"
    )
    assert "http://hl7.org/fhir/us/core/StructureDefinition/us-core-body-temperature" in profiles


def test_the_published_examples_posted_unchanged_for_a_new_patient_are_kept_as_history(fhir):
    """As an integration would try them: the US Core Patient example, then each vital-sign example
    about that patient with nothing else changed (dated 1999-07-02 by the day alone). The patient
    is in no dosing session, so the readings are kept as their history."""
    api = fhir()
    created = api.post("Patient", json.loads((PUBLISHED / "patient-example.json").read_text()))
    assert created.status_code == 201, created.content
    patient_id = body(created)["id"]
    for name in EXAMPLES:
        example = published(name) | {"subject": {"reference": f"Patient/{patient_id}"}}
        answer = api.post("Observation", example)
        assert answer.status_code == 201, (name, answer.content)
        resource = body(api.get(answer["Location"].split("/R4/")[1].split("/_history")[0]))
        Observation.model_validate(resource)
        assert resource["effectiveDateTime"] == "1999-07-02"
        assert "encounter" not in resource
        assert (
            quantities(resource) == [(value, system, code) for value, system, code in quantities(example)]
            or name == "temperature"
        )  # kept to a hundredth of a degree: checked below
        assert resource["code"]["coding"][0]["code"] in {c["code"] for c in example["code"]["coding"]}
    rows = VitalSign.objects.filter(patient_id=patient_id)
    assert rows.count() == 5
    assert all(row.session_id is None and row.date_only and not row.pre_dose for row in rows)
    assert not Alert.objects.exists()
    found = body(api.get("Observation", {"patient": patient_id, "category": VITALS, "date": "1999-07-02"}))
    assert found["total"] == 5
    assert (
        body(api.get("Observation", {"patient": patient_id, "code": "http://loinc.org|85354-9"}))["total"]
        == 1
    )
    assert body(api.get("Observation", {"patient": patient_id, "date": "gt1999-07-02"}))["total"] == 0
    temperature = body(api.get("Observation", {"patient": patient_id, "code": "8310-5"}))["entry"][0][
        "resource"
    ]
    sent = published("temperature")["valueQuantity"]
    assert temperature["valueQuantity"]["code"] == sent["code"]
    assert abs(temperature["valueQuantity"]["value"] - sent["value"]) <= 0.005
    events = AuditEvent.objects.filter(detail__has_key="vital_signs_outside_a_session")
    assert events.count() == 5
    assert {event.patient_id for event in events} == {int(patient_id)}


def test_a_reading_of_another_day_while_a_session_is_in_progress_is_history_not_the_sessions(
    fhir, dosed, patient
):
    # Charted in today's session it would read as taken today, and be judged against today's dose.
    example = for_a_session(published("heart-rate"), patient, datetime(1999, 7, 2, 9, 30, tzinfo=UTC))
    response = fhir().post("Observation", example)
    assert response.status_code == 201, response.content
    kept = VitalSign.objects.get(source="device")
    assert kept.session_id is None and kept.patient_id == patient.pk and not kept.date_only
    assert "encounter" not in body(fhir().get(f"Observation/vs-{kept.pk}-hr"))
    assert not VitalSign.objects.filter(session=dosed, source="device").exists()


def move_check_in(session, at):
    session.transitions.filter(to_state="checked_in").update(at=at)


def test_a_reading_earlier_on_the_day_of_the_session_in_progress_is_refused_and_stored_nowhere(
    fhir, dosed, patient, clinic
):
    # It could be the session's own, from a monitor whose clock is wrong: the nurse must see it.
    noon = timezone.localtime(timezone.now(), clinic.zone).replace(hour=12, minute=0, second=0, microsecond=0)
    yesterday_noon = noon - timezone.timedelta(days=1)
    move_check_in(dosed, yesterday_noon)
    example = for_a_session(published("heart-rate"), patient, yesterday_noon - timezone.timedelta(hours=2))
    response = fhir().post("Observation", example)
    assert response.status_code == 422
    assert "before Patient/" in issues(response)[0]["diagnostics"]
    assert "same day" in issues(response)[0]["diagnostics"]
    assert expressions(response) == ["Observation.effectiveDateTime"]
    assert not VitalSign.objects.filter(source="device").exists()
    assert not ResourceVersion.objects.exists()
    # The day before, it is history.
    example = for_a_session(published("heart-rate"), patient, yesterday_noon - timezone.timedelta(days=1))
    assert fhir().post("Observation", example).status_code == 201


def test_a_reading_taken_during_a_session_that_has_ended_is_refused_and_stored_nowhere(
    fhir, dosed, patient, nurse
):
    dosed.transitions.create(from_state=dosed.state, to_state="aborted", by=nurse, reason="test")
    dosed.state = "aborted"
    dosed.save(update_fields=["state"])
    during = dosed.transitions.get(to_state="checked_in").at + timezone.timedelta(minutes=1)
    response = fhir().post("Observation", for_a_session(published("heart-rate"), patient, during))
    assert response.status_code == 409
    assert f"Encounter/dosing-{dosed.pk}" in issues(response)[0]["diagnostics"]
    assert "after it has ended" in issues(response)[0]["diagnostics"]
    assert not VitalSign.objects.filter(source="device").exists()


def test_a_reading_dated_by_the_day_of_a_session_is_refused_asking_for_the_time(fhir, dosed, patient, clinic):
    day = timezone.localtime(dosed.transitions.get(to_state="checked_in").at, clinic.zone).date()
    example = published("heart-rate") | {
        "subject": {"reference": f"Patient/{patient.pk}"},
        "effectiveDateTime": day.isoformat(),
    }
    response = fhir().post("Observation", example)
    assert response.status_code == 400
    assert "give the time" in issues(response)[0]["diagnostics"]
    assert expressions(response) == ["Observation.effectiveDateTime"]
    assert not VitalSign.objects.filter(source="device").exists()


@pytest.mark.parametrize("effective", ["1999-07", "1999", "1999-02-30"])
def test_a_reading_dated_by_less_than_a_day_is_refused(fhir, patient, effective):
    example = published("heart-rate") | {
        "subject": {"reference": f"Patient/{patient.pk}"},
        "effectiveDateTime": effective,
    }
    response = fhir().post("Observation", example)
    assert response.status_code == 400
    assert expressions(response) == ["Observation.effectiveDateTime"]
    assert not VitalSign.objects.exists()


def test_a_reading_a_monitor_clock_puts_just_before_check_in_is_kept(fhir, cleared, patient):
    checked_in = cleared.transitions.get(to_state="checked_in").at
    example = for_a_session(published("heart-rate"), patient, checked_in - timezone.timedelta(minutes=2))
    assert fhir().post("Observation", example).status_code == 201


def test_each_post_without_an_identifier_is_a_new_reading(fhir, dosed, patient):
    api = fhir()
    example = for_a_session(published("heart-rate"), patient, timezone.now())
    first, again = api.post("Observation", example), api.post("Observation", example)
    assert (first.status_code, again.status_code) == (201, 201)
    assert body(first)["id"] != body(again)["id"]
    assert VitalSign.objects.filter(session=dosed, source="device", identifier="").count() == 2


def test_a_preliminary_reading_reads_back_preliminary_and_is_searched_so(fhir, dosed, patient):
    """A monitor may send a reading as preliminary: it is charted and judged as any reading, and
    the API gives it back as it was sent, not as final."""
    api = fhir()
    sent = for_a_session(published("heart-rate"), patient, timezone.now()) | {"status": "preliminary"}
    created = api.post("Observation", sent)
    assert created.status_code == 201, created.content
    assert body(api.get(f"Observation/{body(created)['id']}"))["status"] == "preliminary"
    assert VitalSign.objects.get(session=dosed, source="device").status == "preliminary"

    def found(status):
        return body(api.get("Observation", {"patient": patient.pk, "code": "8867-4", "status": status}))

    assert [e["resource"]["id"] for e in found("preliminary")["entry"]] == [body(created)["id"]]
    assert body(created)["id"] not in [e["resource"]["id"] for e in found("final").get("entry", [])]


def test_a_batch_mixing_readings_with_and_without_identifiers_keeps_each_once(fhir, dosed, patient):
    plain = for_a_session(published("heart-rate"), patient, timezone.now())
    readings = [plain, heart_rate(patient.pk, 90, ident="w1"), plain, heart_rate(patient.pk, 90, ident="w1")]
    answer = body(fhir().post("", transaction(readings, "batch")))
    assert [e["response"]["status"][:3] for e in answer["entry"]] == ["201", "201", "201", "200"]
    assert VitalSign.objects.filter(session=dosed, source="device").count() == 3


def test_a_repeat_post_is_kept_once_and_answered_with_the_reading(fhir, dosed, patient):
    api = fhir()
    reading = heart_rate(patient.pk, 88, ident="hr-1")
    first, again = api.post("Observation", reading), api.post("Observation", reading)
    assert (first.status_code, again.status_code) == (201, 200)
    assert body(first)["id"] == body(again)["id"] == f"vs-{VitalSign.objects.get(source='device').pk}-hr"
    assert ResourceVersion.objects.filter(resource_id=body(first)["id"]).count() == 1


def test_a_reading_for_a_patient_in_no_session_is_kept_as_history_and_raises_no_alert(fhir, session, patient):
    # SpO2 85 % after a dose would alert the nurse; outside a session no one is watching for it.
    response = fhir().post("Observation", spo2(patient.pk, 85, ident="home-1"))
    assert response.status_code == 201, response.content
    kept = VitalSign.objects.get(source="device")
    assert (kept.session_id, kept.patient_id, kept.pre_dose) == (None, patient.pk, False)
    assert not Alert.objects.exists()
    read = body(fhir().get(f"Observation/vs-{kept.pk}-spo2"))
    assert "encounter" not in read and read["effectiveDateTime"].endswith("Z")


def test_the_device_endpoint_still_refuses_a_reading_for_a_patient_in_no_session(
    client, fhir, session, patient
):
    # A monitor posting for a patient in no session is misconfigured: it is told, not filed away.
    from kapcare.sessions.devices import ingest_observations

    result = ingest_observations(patient.clinic, heart_rate(patient.pk, 80, ident="x"))
    assert result.entries[0][0] == 409
    assert not VitalSign.objects.exists()


def test_an_impossible_reading_is_refused(fhir, dosed, patient):
    response = fhir().post("Observation", spo2(patient.pk, 104, ident="s"))
    assert response.status_code == 422
    assert not VitalSign.objects.filter(source="device").exists()


def test_a_post_dose_reading_raises_the_protocols_alert(fhir, dosed, patient):
    assert fhir().post("Observation", blood_pressure(patient.pk, 204, 100, ident="b")).status_code == 201
    assert Alert.objects.filter(session=dosed).exists()


def test_a_create_writes_one_audit_event(fhir, dosed, patient):
    api = fhir()
    api.post("Observation", heart_rate(patient.pk, 90, ident="a0"))  # the first moves it to monitoring
    before = AuditEvent.objects.count()
    api.post("Observation", heart_rate(patient.pk, 90, ident="a1"))
    events = AuditEvent.objects.order_by("seq")[before:]
    assert [(e.action, e.patient_id, e.role) for e in events] == [("create", patient.pk, "api")]


def test_patient_scopes_cannot_post_readings(fhir, dosed, patient):
    response = fhir("patient/*.*", patient=patient).post("Observation", heart_rate(patient.pk, 90, ident="p"))
    assert response.status_code == 403 and not VitalSign.objects.filter(source="device").exists()


def test_a_transaction_of_readings_is_all_or_nothing(fhir, dosed, patient):
    readings = [heart_rate(patient.pk, 90, ident="t1"), spo2(patient.pk, 104, ident="t2")]
    response = fhir().post("", transaction(readings))
    assert response.status_code == 422
    assert "Bundle.entry[1]" in expressions(response)[0]
    assert not VitalSign.objects.filter(source="device").exists()


def test_a_batch_of_readings_keeps_the_good_ones_and_answers_each(fhir, dosed, patient):
    readings = [
        heart_rate(patient.pk, 90, ident="b1"),
        spo2(patient.pk, 104, ident="b2"),
        blood_pressure(patient.pk, 120, 80, ident="b3"),
    ]
    answer = body(fhir().post("", transaction(readings, "batch")))
    assert [e["response"]["status"][:3] for e in answer["entry"]] == ["201", "422", "201"]
    assert answer["entry"][2]["resource"]["id"].endswith("-bp")
    assert answer["entry"][0]["response"]["location"].startswith("http://testserver/fhir/R4/Observation/vs-")
    assert VitalSign.objects.filter(source="device").count() == 2


def transaction(readings, kind="transaction"):
    out = bundle(readings, kind)
    for item in out["entry"]:
        item["request"] = {"method": "POST", "url": "Observation"}
    return out


def test_another_clinics_token_sees_no_readings(fhir, other_clinic, cleared):
    reading = VitalSign.objects.get(session=cleared)
    api = fhir(clinic_=other_clinic)
    assert api.get(f"Observation/vs-{reading.pk}-hr").status_code == 404
    assert body(api.get("Observation", {"category": "vital-signs"}))["total"] == 0


def test_patient_scopes_see_only_their_own_readings(fhir, cleared, patient, clinic):
    from kapcare.patients.models import Patient

    other = Patient.objects.create(
        clinic=clinic,
        legal_first_name="Ona",
        legal_last_name="Brill",
        date_of_birth="1990-01-01",
        sex_at_birth="female",
    )
    reading = VitalSign.objects.get(session=cleared)
    assert fhir("patient/*.read", patient=other).get(f"Observation/vs-{reading.pk}-hr").status_code == 404
    mine = fhir("patient/*.read", patient=patient)
    assert mine.get(f"Observation/vs-{reading.pk}-hr").status_code == 200
    assert body(mine.get("Observation", {"code": "29463-7"}))["total"] == 1


def test_readings_include_their_encounter(fhir, cleared, patient):
    found = body(fhir().get("Observation", {"code": "8867-4", "_include": "Observation:encounter"}))
    assert [e["resource"]["resourceType"] for e in found["entry"]] == ["Observation", "Encounter"]
    assert found["entry"][1]["resource"]["id"] == f"dosing-{cleared.pk}"


def test_a_bundle_of_readings_is_kept_by_one_ingest_call(fhir, dosed, patient, monkeypatch):
    from kapcare.sessions import devices

    calls = []
    real = devices.ingest_observations
    monkeypatch.setattr(devices, "ingest_observations", lambda *a, **k: calls.append(1) or real(*a, **k))
    readings = [heart_rate(patient.pk, 80 + n, ident=f"k{n}") for n in range(5)]
    answer = body(fhir().post("", transaction(readings, "batch")))
    assert [e["response"]["status"] for e in answer["entry"]] == ["201 Created"] * 5
    assert calls == [1] and VitalSign.objects.filter(source="device").count() == 5


def test_a_bundle_entry_refused_before_ingest_is_named_by_its_place(fhir, dosed, patient):
    readings = [heart_rate(patient.pk, 80, ident="n0"), {"resourceType": "Observation", "status": "bogus"}]
    readings.append(spo2(patient.pk, 104, ident="n2"))
    answer = body(fhir().post("", transaction(readings, "batch")))
    assert [e["response"]["status"][:3] for e in answer["entry"]] == ["201", "400", "422"]
    assert answer["entry"][1]["response"]["outcome"]["issue"][0]["expression"][0].startswith(
        "Bundle.entry[1]"
    )
    assert answer["entry"][2]["response"]["outcome"]["issue"][0]["expression"][0].startswith(
        "Bundle.entry[2]"
    )


def test_pages_of_readings_cover_every_kind_once(fhir, cleared, patient):
    api = fhir()
    seen = []
    for offset in range(0, 6, 2):
        page = body(api.get("Observation", {"patient": patient.pk, "_count": 2, "_offset": offset}))
        assert page["total"] == 5
        seen += [e["resource"]["id"] for e in page["entry"]]
    reading = VitalSign.objects.get(session=cleared)
    assert sorted(seen[:4]) == sorted(f"vs-{reading.pk}-{kind}" for kind in ("bp", "hr", "rr", "spo2"))
    assert seen[4].startswith("weight-") and len(seen) == 5


def test_readings_are_found_by_id(fhir, cleared):
    reading = VitalSign.objects.get(session=cleared)
    found = body(fhir().get("Observation", {"_id": f"vs-{reading.pk}-hr,vs-{reading.pk}-bp,survey-1"}))
    assert sorted(e["resource"]["id"] for e in found["entry"]) == [
        f"vs-{reading.pk}-bp",
        f"vs-{reading.pk}-hr",
    ]


def test_the_id_a_monitor_is_answered_with_reads_back_in_the_fhir_api(client, fhir, dosed, patient):
    api = fhir()
    _, secret = ApiToken.issue(
        clinic=patient.clinic, scopes="system/Observation.write", name="bedside monitor"
    )
    answered = client.post(
        "/api/devices/observations",
        data=json.dumps(blood_pressure(patient.pk, 128, 82, ident="m-1")),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    ).json()
    read = api.get(f"Observation/{answered['id']}")
    assert read.status_code == 200
    assert [c["valueQuantity"]["value"] for c in body(read)["component"]] == [128, 82]


def test_type_history_is_one_query_for_the_page_however_many_kinds_and_readings(fhir, dosed, patient):
    api = fhir()
    api.post("Observation", heart_rate(patient.pk, 80, ident="h0"))
    with CaptureQueriesContext(connection) as few:
        assert body(api.get("Observation/_history"))["total"] == 1
    for n, reading in enumerate(
        [blood_pressure(patient.pk, 120, 80, ident="h1"), spo2(patient.pk, 97, ident="h2")]
        + [temperature(patient, 36.9, "Cel"), heart_rate(patient.pk, 82, ident="h3")]
        + [for_a_session(published("respiratory-rate"), patient, timezone.now())] * 3
    ):
        assert api.post("Observation", reading).status_code == 201, n
    with CaptureQueriesContext(connection) as more:
        history = body(api.get("Observation/_history", {"_count": 3}))
    assert history["total"] == 8 and len(history["entry"]) == 3
    assert len(more) == len(few)
    # The versions are counted, then paged: Part 2 and the token's reach are decided inside both.
    assert len([q for q in more if "fhir_resourceversion" in q["sql"]]) == 2


def test_type_history_under_a_patient_scope_lists_only_that_patients_records(fhir, patient, clinic):
    from kapcare.patients.models import Patient

    other = Patient.objects.create(
        clinic=clinic,
        legal_first_name="Ona",
        legal_last_name="Brill",
        date_of_birth="1990-01-01",
        sex_at_birth="female",
    )
    system = fhir()
    system.get(f"Patient/{patient.pk}"), system.get(f"Patient/{other.pk}")
    assert body(system.get("Patient/_history"))["total"] == 2
    history = body(fhir("patient/*.read", patient=patient).get("Patient/_history"))
    assert [e["resource"]["id"] for e in history["entry"]] == [str(patient.pk)]


@pytest.mark.parametrize(
    "query",
    [
        {"code": "http://loinc.org|8867-4", "_count": "3"},
        {"code": "8867-4,59408-5", "_count": "4", "_offset": "2"},
        {"category": "vital-signs", "date": "ge2000-01-01", "_sort": "-date", "_count": "5"},
        {"category": "vital-signs", "_sort": "date", "_count": "4", "_offset": "3"},
        {"code": "85354-9", "date": "lt2000-01-01"},
        {"_lastUpdated": "ge2000-01-01", "_count": "50"},
        {"code": "8867-4", "_count": "0"},
        {"code": "8867-4", "_count": "2", "_offset": "50"},
        {"category": "vital-signs", "_count": "2", "_offset": "50"},
    ],
)
def test_searches_on_one_table_written_out_find_what_the_orm_finds(fhir, dosed, patient, monkeypatch, query):
    """paging.written fetches single-table searches with written-out SQL: the same entries, in
    the same order, with the same total as the ORM's queries."""
    from kapcare.fhir import paging

    at = timezone.now()
    for n in range(6):
        VitalSign.objects.create(
            clinic=dosed.clinic,
            patient=patient,
            session=dosed,
            taken_at=at - timezone.timedelta(minutes=n),
            systolic=120 + n,
            diastolic=80,
            heart_rate=70 + n if n % 2 else None,
            spo2=97,
        )
    query = {"patient": patient.pk, **query}
    taken = []
    real = paging.written
    monkeypatch.setattr(paging, "written", lambda queryset: taken.append(real(queryset)) or taken[-1])
    written = body(fhir().get("Observation", query))
    assert any(plain is not None for plain in taken)  # the vital signs went the written-out way
    monkeypatch.setattr(paging, "written", lambda queryset: None)
    orm = body(fhir().get("Observation", query))

    def found(bundle):
        return bundle.get("total"), [entry["resource"]["id"] for entry in bundle.get("entry", [])]

    assert found(written) == found(orm)
    assert written["total"] > 0 or query.get("date", "").startswith("lt")


def test_a_survey_score_sent_as_an_observation_is_refused_with_where_it_comes_from(fhir, dosed, patient):
    """A US Core PHQ-9 panel Observation, as an EHR exports it: kapcare makes survey scores from
    the answers, so the refusal says to send the QuestionnaireResponse."""
    panel = heart_rate(patient.pk, 72, ident="panel-1") | {
        "category": [
            {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey"}
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": "44249-1"}]},
        "valueQuantity": None,
        "hasMember": [{"reference": "Observation/item-1"}],
    }
    panel = {key: value for key, value in panel.items() if value is not None}
    response = fhir().post("Observation", panel)
    assert response.status_code == 400
    [said] = issues(response)
    assert "POST the QuestionnaireResponse" in said["diagnostics"]
    assert said["expression"] == ["Observation.code"]
    assert not VitalSign.objects.filter(source="device").exists()


def about_a_new_patient(api, name):
    """A published example about a patient created for it, nothing else changed."""
    created = api.post("Patient", json.loads((PUBLISHED / "patient-example.json").read_text()))
    example = published(name)
    return example | {"subject": example["subject"] | {"reference": f"Patient/{body(created)['id']}"}}


def test_a_blood_pressure_with_its_diastolic_absent_is_refused_saying_why(fhir):
    # Valid US Core (a dataAbsentReason instead of the diastolic value): kapcare keeps a blood
    # pressure only whole, and says so rather than ask for a number as if the sender had erred.
    api = fhir()
    response = api.post("Observation", about_a_new_patient(api, "Observation-bp-data-absent"))
    assert response.status_code == 422, response.content
    [said] = issues(response)
    assert said["expression"] == ["Observation.component[1].dataAbsentReason"]
    assert said["diagnostics"] == (
        "The diastolic has no value (dataAbsentReason: Unknown). kapcare keeps a blood pressure only "
        "with both systolic and diastolic: send it once it is measured."
    )
    assert not VitalSign.objects.exists()


def test_a_published_body_weight_is_refused_saying_where_kapcare_takes_weights(fhir):
    api = fhir()
    response = api.post("Observation", about_a_new_patient(api, "Observation-weight"))
    assert response.status_code == 422, response.content
    [said] = issues(response)
    assert said["expression"] == ["Observation.code"] and said["code"] == "not-supported"
    assert "taken at a dosing session's check-in" in said["diagnostics"]
    assert not VitalSign.objects.exists()


def test_a_published_oxygen_saturation_with_its_oxygen_flow_keeps_the_saturation_and_says_the_rest(fhir):
    api = fhir()
    example = about_a_new_patient(api, "Observation-satO2-fiO2")
    response = api.post("Observation", example, HTTP_PREFER="return=OperationOutcome")
    assert response.status_code == 201, response.content
    not_kept = [item["expression"][0] for item in issues(response)[1:]]
    assert not_kept == [
        "Observation.code.coding[2]",
        "Observation.interpretation",
        "Observation.referenceRange",
        "Observation.component",
    ]
    reading = VitalSign.objects.get()
    assert (reading.spo2, reading.identifier) == (95, "http://goodcare.org/observation/id|o1223435-10")
    found = body(api.get("Observation", {"identifier": "o1223435-10", "code": "59408-5"}))
    assert found["total"] == 1
    resource = found["entry"][0]["resource"]
    assert resource["effectiveDateTime"] == "2014-12-05T08:30:10.000Z"  # 09:30:10+01:00
    assert resource["device"] == {"display": "Acme Pulse Oximeter 2000"}
