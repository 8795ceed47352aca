"""Date search where the stored value is itself a range: a partial onset ("2009"), a reading dated
by its day only, a birth date. FHIR R4 search (search.html, "Prefixes" and "date") compares the
range of the search value with the range of the stored value:

eq  the search range fully contains the stored range      ne  it does not
gt  the range above the search value overlaps the stored  lt  the range below it overlaps the stored
ge  as gt, or the search range fully contains the stored  le  as lt, or it fully contains the stored
sa  no overlap, and the range above contains the stored   eb  no overlap, and the range below does

Each case below names the stored value, the search and whether it must match. The search values
with a zone check that a day is the UTC day, whatever the zone the search is written in.
"""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kapcare.evaluation.models import OutsideCondition
from kapcare.fhir.tests.conftest import body
from kapcare.integration.models import TherapySession
from kapcare.patients.models import Patient
from kapcare.sessions.models import DosingSession, VitalSign
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

SNOMED = "http://snomed.info/sct"


@pytest.fixture
def stored(clinic, patient):
    """One of each kind of stored range, for the patient, so a search can be scoped to it."""

    def condition(code, recorded_on=date(2020, 5, 1), **dates):
        return OutsideCondition.objects.create(
            clinic=clinic,
            patient=patient,
            system=SNOMED,
            code=code,
            recorded_on=recorded_on,
            source="registry feed",
            **dates,
        )

    return {
        "onset 2009": condition("38341003", onset="2009"),
        "no onset": condition("73211009"),
        "recorded 2016": condition("44054006", recorded_date="2016", recorded_on=date(2016, 1, 1)),
        "reading of 1999-07-02": VitalSign.objects.create(
            clinic=clinic,
            patient=patient,
            taken_at=datetime(1999, 7, 2, tzinfo=UTC),
            date_only=True,
            heart_rate=72,
        ),
        "born 1999-07-02": Patient.objects.create(
            clinic=clinic,
            legal_first_name="Jun",
            legal_last_name="Okafor",
            date_of_birth=date(1999, 7, 2),
            sex_at_birth="unknown",
        ),
    }


SEARCH = {
    "onset 2009": ("Condition", "onset-date"),
    "no onset": ("Condition", "onset-date"),
    "recorded 2016": ("Condition", "recorded-date"),
    "reading of 1999-07-02": ("Observation", "date"),
    "born 1999-07-02": ("Patient", "birthdate"),
}


def matches(api, stored, target, value) -> bool:
    resource_type, name = SEARCH[target]
    record = stored[target]
    scope = {"family": "Okafor"} if resource_type == "Patient" else {"patient": record.patient_id}
    bundle = body(api.get(resource_type, {name: value, **scope}))
    ids = {entry["resource"]["id"] for entry in bundle.get("entry", [])}
    wanted = {
        "Condition": f"outside-{record.pk}",
        "Observation": f"vs-{record.pk}-hr",
        "Patient": str(record.pk),
    }[resource_type]
    return wanted in ids


@pytest.mark.parametrize(
    ("target", "value", "expected"),
    [
        # eq: only a search range that holds all of 2009 (kapcare used to match any search range
        # that held its first moment, so a match can only have become narrower here).
        ("onset 2009", "eq2009", True),
        ("onset 2009", "eq2009-01", False),
        ("born 1999-07-02", "eq1999-07-02T10:00", False),  # a minute does not hold a whole day
        # ne: the negation of eq, and only for a record that has the date at all.
        ("onset 2009", "ne2009-01", True),
        ("onset 2009", "ne2009", False),
        ("no onset", "ne2009", False),
        # gt: the stored range runs past the end of the search range.
        ("onset 2009", "gt2009-06", True),
        ("reading of 1999-07-02", "gt1999-07-02T10:00", True),  # the spec's own example
        ("onset 2009", "gt2009", False),
        # lt: the stored range begins before the search range does.
        ("born 1999-07-02", "lt1999-07-02T10:00", True),  # the spec's own example
        ("born 1999-07-02", "lt1999-07-02", False),
        # ge: gt, or eq.
        ("onset 2009", "ge2009-06", True),
        ("reading of 1999-07-02", "ge1999-07-02T10:00", True),
        ("recorded 2016", "ge2016-06", True),
        ("born 1999-07-02", "ge1999-07-02T22:00-05:00", False),  # 03:00 UTC on the 3rd
        # le: lt, or eq.
        ("born 1999-07-02", "le1999-07-01T23:00-05:00", True),  # 04:00 UTC on the 2nd
        ("onset 2009", "le2009-01", False),  # nothing of 2009 before January, nor all of it in it
        # sa: the stored range begins after the search range ends.
        ("born 1999-07-02", "sa1999-07-02T01:00+05:00", True),  # 20:00 UTC on the 1st
        ("born 1999-07-02", "sa1999-07-01T23:00-05:00", False),  # 04:00 UTC on the 2nd
        # eb: the stored range ends before the search range begins.
        ("born 1999-07-02", "eb1999-07-02T20:00-05:00", True),  # 01:00 UTC on the 3rd
        ("reading of 1999-07-02", "eb1999-07-02T10:00", False),  # the day is not over at 10:00
    ],
)
def test_a_date_search_compares_the_search_range_with_the_stored_range(fhir, stored, target, value, expected):
    assert matches(fhir(), stored, target, value) is expected


def test_a_reading_taken_at_a_moment_is_still_a_point(fhir, clinic, patient):
    reading = VitalSign.objects.create(
        clinic=clinic, patient=patient, taken_at=datetime(1999, 7, 2, 9, 59, tzinfo=UTC), heart_rate=70
    )
    api = fhir()
    for value, expected in (
        ("ge1999-07-02T10:00", False),
        ("lt1999-07-02T10:00", True),
        ("eq1999-07-02", True),
        ("eb1999-07-02T10:00", True),
        ("gt1999-07-02", False),
    ):
        bundle = body(api.get("Observation", {"date": value, "patient": patient.pk}))
        ids = {entry["resource"]["id"] for entry in bundle.get("entry", [])}
        assert (f"vs-{reading.pk}-hr" in ids) is expected, value


def test_a_condition_posted_with_a_partial_onset_is_found_by_a_month_inside_it(fhir, patient):
    api = fhir()
    resource = {
        "resourceType": "Condition",
        "code": {"coding": [{"system": SNOMED, "code": "38341003"}]},
        "subject": {"reference": f"Patient/{patient.pk}"},
        "onsetDateTime": "2009",
        "recordedDate": "2009-06",
    }
    assert api.post("Condition", resource).status_code == 201
    kept = OutsideCondition.objects.get()
    assert (kept.onset_start, kept.onset_end) == (
        datetime(2009, 1, 1, tzinfo=UTC),
        datetime(2010, 1, 1, tzinfo=UTC),
    )
    assert (kept.recorded_start, kept.recorded_end) == (
        datetime(2009, 6, 1, tzinfo=UTC),
        datetime(2009, 7, 1, tzinfo=UTC),
    )
    assert body(api.get("Condition", {"onset-date": "ge2009-06"}))["total"] == 1
    assert body(api.get("Condition", {"recorded-date": "le2009-06-15"}))["total"] == 1
    assert body(api.get("Condition", {"recorded-date": "eq2009-06-15"}))["total"] == 0


def test_a_date_search_over_ranges_takes_as_many_queries_as_over_points(fhir, stored, patient):
    api = fhir()
    api.get("Observation", {"date": "ge1999-07-02", "patient": patient.pk})  # warm the token
    counts = []
    for value in ("ge1999-07-02", "ge1999-07-02T10:00,lt1999-06", "ne1999-07-02T10:00"):
        with CaptureQueriesContext(connection) as queries:
            assert api.get("Observation", {"date": value, "patient": patient.pk}).status_code == 200
        counts.append(len(queries))
    assert len(set(counts)) == 1


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def visits(dosed, therapist):
    """A dosing session dosed at 09:30 and discharged at 12:00 (booked for 09:00), and an
    integration session booked at 14:00 the next day for 50 minutes, completed."""
    DosingSession.objects.filter(pk=dosed.pk).update(
        planned_start=at("2026-03-05T09:00"),
        dosed_at=at("2026-03-05T09:30"),
        discharged_at=at("2026-03-05T12:00"),
    )
    therapy = TherapySession.objects.create(
        clinic=dosed.clinic,
        patient=dosed.patient,
        course=dosed.course,
        kind="integration",
        follows_dosing_id=dosed.pk,
        scheduled_at=at("2026-03-06T14:00"),
        duration_minutes=50,
        status="completed",
        therapist=therapist,
        created_by=therapist,
    )
    return {"dosing": f"dosing-{dosed.pk}", "therapy": f"therapy-{therapy.pk}"}


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("2026-03-05", ["dosing"]),
        ("ge2026-03-05T11:00Z", ["dosing", "therapy"]),  # the dosing visit runs until noon
        ("lt2026-03-05T09:15Z", []),  # it began at the dose, 09:30, not at the booked 09:00
        ("gt2026-03-05T12:00Z", ["therapy"]),
        ("ge2026-03-06T14:30Z", ["therapy"]),  # within the therapy session's 50 minutes
        ("eb2026-03-06T14:45Z", ["dosing"]),  # it has not ended by 14:45
        ("eb2026-03-06T14:51Z", ["dosing", "therapy"]),
        ("sa2026-03-05T09:00Z", ["dosing", "therapy"]),  # the dosing visit began at 09:30
        ("sa2026-03-05T09:30Z", ["therapy"]),
    ],
)
def test_an_encounter_is_searched_by_its_period(fhir, visits, patient, value, found):
    bundle = body(fhir().get("Encounter", {"date": value, "patient": patient.pk}))
    assert sorted(entry["resource"]["id"] for entry in bundle.get("entry", [])) == sorted(
        visits[kind] for kind in found
    )


def test_a_session_stopped_after_the_dose_ends_when_it_was_stopped(fhir, visits, dosed, patient):
    DosingSession.objects.filter(pk=dosed.pk).update(
        state="aborted", discharged_at=None, state_changed_at=at("2026-03-05T10:15")
    )
    api = fhir()
    resource = body(api.get(f"Encounter/dosing-{dosed.pk}"))
    assert resource["status"] == "finished"
    assert resource["period"] == {"start": "2026-03-05T09:30:00.000Z", "end": "2026-03-05T10:15:00.000Z"}

    def found(value):
        bundle = body(api.get("Encounter", {"date": value, "patient": patient.pk, "type": "dosing"}))
        return [entry["resource"]["id"] for entry in bundle.get("entry", [])]

    assert found("ge2026-03-05T10:00Z") == [f"dosing-{dosed.pk}"]
    assert found("ge2026-03-05T10:30Z") == []  # no longer open-ended
    assert found("eb2026-03-05T10:30Z") == [f"dosing-{dosed.pk}"]


def fhir_rule(prefix: str, search: tuple, stored: tuple) -> bool:
    """The prefix table above, over half-open ranges (a moment is [t, t + 1 microsecond))."""
    (s, e), (a, b) = search, stored
    eq = a >= s and b <= e
    return {
        "eq": eq,
        "ne": not eq,
        "gt": b > e,
        "lt": a < s,
        "ge": b > e or eq,
        "le": a < s or eq,
        "sa": a >= e,
        "eb": b <= s,
    }[prefix]


def test_readings_by_day_and_at_a_moment_are_found_by_every_prefix_as_the_rules_say(fhir, clinic, patient):
    from datetime import timedelta

    from kapcare.lib.partial_dates import span

    day, tick = timedelta(days=1), timedelta(microseconds=1)
    kept = {}
    for at, by_day in [
        (datetime(1999, 7, 1, tzinfo=UTC), True),
        (datetime(1999, 7, 2, tzinfo=UTC), True),
        (datetime(1999, 7, 3, tzinfo=UTC), True),
        (datetime(1999, 7, 2, tzinfo=UTC), False),
        (datetime(1999, 7, 2, 10, 0, 30, tzinfo=UTC), False),
        (datetime(1999, 7, 2, 23, 59, 59, tzinfo=UTC), False),
    ]:
        reading = VitalSign.objects.create(
            clinic=clinic, patient=patient, taken_at=at, date_only=by_day, spo2=97
        )
        kept[f"vs-{reading.pk}-spo2"] = (at, at + (day if by_day else tick))
    api = fhir()
    values = [
        "1999-07-02",
        "1999-07",
        "1999",
        "1999-07-02T10:00",
        "1999-07-02T00:00:00Z",
        "1999-07-03T00:00Z",
    ]
    for prefix in ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"):
        for value in values:
            bundle = body(
                api.get("Observation", {"date": prefix + value, "patient": patient.pk, "_count": 50})
            )
            found = {entry["resource"]["id"] for entry in bundle.get("entry", [])}
            wanted = {id_ for id_, stored in kept.items() if fhir_rule(prefix, span(value), stored)}
            assert found == wanted, prefix + value
