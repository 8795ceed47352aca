"""Search: the parameters, date prefixes, sorting, paging links, and a bounded number of queries."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kapcare.fhir.tests.conftest import body, issues
from kapcare.patients.models import Patient

PEOPLE = [
    ("Ada", "Marsh", date(1950, 1, 15)),
    ("Bo", "Marsh", date(1970, 6, 30)),
    ("Cy", "Hale", date(1970, 7, 1)),
    ("Dee", "Hale", date(1989, 12, 31)),
    ("Eve", "Marshall", date(1990, 1, 1)),
]


@pytest.fixture
def people(clinic):
    return [
        Patient.objects.create(
            clinic=clinic,
            legal_first_name=first,
            legal_last_name=last,
            date_of_birth=born,
            sex_at_birth="unknown",
        )
        for first, last, born in PEOPLE
    ]


def found(api, **params):
    bundle = body(api.get("Patient", params))
    assert bundle["type"] == "searchset"
    return bundle["total"], [e["resource"]["name"][0]["given"][0] for e in bundle["entry"]]


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"family": "marsh"}, ["Ada", "Bo", "Eve"]),
        ({"family:exact": "Marsh"}, ["Ada", "Bo"]),
        ({"name": "hal"}, ["Cy", "Dee"]),
        ({"given": "Bo,Cy"}, ["Bo", "Cy"]),
        ({"birthdate": "1970"}, ["Bo", "Cy"]),
        ({"birthdate": "1970-06"}, ["Bo"]),
        ({"birthdate": "eq1970-07-01"}, ["Cy"]),
        ({"birthdate": "ne1970"}, ["Ada", "Dee", "Eve"]),
        ({"birthdate": "lt1970-06-30"}, ["Ada"]),
        ({"birthdate": "le1970-06-30"}, ["Ada", "Bo"]),
        ({"birthdate": "gt1989-12-31"}, ["Eve"]),
        ({"birthdate": "ge1989-12-31"}, ["Dee", "Eve"]),
        ({"birthdate": "sa1970"}, ["Dee", "Eve"]),
        ({"birthdate": "eb1970"}, ["Ada"]),
        ({"identifier": "K000002"}, ["Bo"]),
        ({"identifier": "urn:kapcare:riverside:mrn|K000003"}, ["Cy"]),
        ({"identifier": "http://other.example/mrn|K000003"}, []),
    ],
)
def test_search_returns_the_right_patients(fhir, people, params, names):
    total, given = found(fhir(), **params, _sort="given")
    assert given == names and total == len(names)


def test_repeated_parameters_must_all_hold(fhir, people):
    bundle = body(
        fhir().client.get(
            "/fhir/R4/Patient?birthdate=ge1960&birthdate=lt1980&_sort=given",
            HTTP_AUTHORIZATION=f"Bearer {fhir().secret}",
        )
    )
    assert [e["resource"]["name"][0]["given"][0] for e in bundle["entry"]] == ["Bo", "Cy"]


def test_id_and_last_updated(fhir, people):
    api = fhir()
    assert found(api, _id=f"{people[0].pk},{people[2].pk}", _sort="given")[1] == ["Ada", "Cy"]
    Patient.objects.filter(pk=people[1].pk).update(updated_at=timezone.now() - timedelta(days=30))
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert found(api, _lastUpdated=f"lt{since}")[1] == ["Bo"]


def test_sorting_descending_by_birth_date(fhir, people):
    assert found(fhir(), _sort="-birthdate")[1] == ["Eve", "Dee", "Cy", "Bo", "Ada"]


def test_paging_links_walk_the_whole_result(fhir, people):
    api = fhir()
    bundle = body(api.get("Patient", {"_count": 2, "_sort": "given"}))
    seen = []
    while True:
        seen += [e["resource"]["name"][0]["given"][0] for e in bundle["entry"]]
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        if "next" not in links:
            break
        bundle = body(api.client.get(links["next"], HTTP_AUTHORIZATION=f"Bearer {api.secret}"))
    assert seen == ["Ada", "Bo", "Cy", "Dee", "Eve"]
    assert "_offset=4" in links["last"] and bundle["total"] == 5


def test_count_zero_gives_the_total_alone(fhir, people):
    bundle = body(fhir().get("Patient", {"_count": 0}))
    assert bundle["total"] == 5 and bundle["entry"] == []


def test_summary_count_gives_the_total_alone_in_a_bounded_number_of_queries(fhir, people):
    from django.test.utils import CaptureQueriesContext

    api = fhir()
    api.get("Patient", {"_summary": "count"})  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as queries:
        bundle = body(api.get("Patient", {"_summary": "count", "_count": 2, "family": "Marsh"}))
    assert bundle["entry"] == [] and bundle["total"] == 3  # Marsh, Marsh, Marshall
    # The token, the count and the audit event (three statements on SQLite): no page is read.
    assert len(queries) <= (3 if connection.vendor == "postgresql" else 5)
    assert body(api.get("Patient", {"_summary": "false"}))["total"] == 5


def test_a_summary_kapcare_cannot_give_is_refused_rather_than_ignored(fhir, people):
    response = fhir().get("Patient", {"_summary": "true"})
    assert response.status_code == 400
    assert "_summary=count" in issues(response)[0]["diagnostics"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"colour": "teal"}, "no search parameter 'colour'"),
        ({"birthdate": "1970-02-30"}, "not a real date"),
        ({"birthdate": "around 1970"}, "is not a date"),
        ({"birthdate": "ap1970"}, "ap (approximately) is not supported"),
        ({"_sort": "colour"}, "cannot be sorted by 'colour'"),
        ({"_count": "many"}, "_count must be a whole number"),
        ({"_include": "Patient:organization"}, "not supported"),
        ({"family:missing": "true"}, "modifier :missing"),
    ],
)
def test_a_search_it_cannot_do_is_refused_with_400_saying_why(fhir, people, params, message):
    response = fhir().get("Patient", params)
    assert response.status_code == 400
    assert message in issues(response)[0]["diagnostics"]


def test_lenient_handling_ignores_unknown_parameters(fhir, people):
    response = fhir().get("Patient", {"colour": "teal", "family": "Hale"}, HTTP_PREFER="handling=lenient")
    assert body(response)["total"] == 2


def test_post_search_takes_form_parameters(fhir, people):
    api = fhir()
    response = api.client.post(
        "/fhir/R4/Patient/_search",
        "family=Hale",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {api.secret}",
    )
    assert body(response)["total"] == 2


def test_search_issues_the_same_number_of_queries_for_one_or_many_results(fhir, clinic, people):
    api = fhir()
    api.get("Patient")  # first sight writes each patient's first version
    with CaptureQueriesContext(connection) as few:
        api.get("Patient", {"family": "Hale"})
    for index in range(15):
        Patient.objects.create(
            clinic=clinic,
            legal_first_name=f"N{index}",
            legal_last_name="Hale",
            date_of_birth=date(1980, 1, 1),
            sex_at_birth="unknown",
        )
    api.get("Patient", {"family": "Hale"})
    with CaptureQueriesContext(connection) as many:
        api.get("Patient", {"family": "Hale"})
    assert len(many) == len(few) <= 11


def test_a_read_issues_a_bounded_number_of_queries(fhir, patient):
    api = fhir()
    api.get(f"Patient/{patient.pk}")
    with CaptureQueriesContext(connection) as queries:
        api.get(f"Patient/{patient.pk}")
    # The token, the patient, its latest version, and the audit event: one statement on
    # PostgreSQL, three on SQLite. A read takes no transaction (or savepoint) of its own.
    assert len(queries) <= (4 if connection.vendor == "postgresql" else 6)


@pytest.mark.django_db
def test_on_the_demo_clinic_every_type_written_out_finds_what_the_orm_finds(client, monkeypatch):
    """Searches go written out (paging.written) wherever they read one model joined along foreign
    keys, selecting along one of them; on the demo clinic's records of every type, each search
    both ways gives the same resources, in the same order, with the same total."""
    from django.core.management import call_command

    from kapcare.clinics.models import Clinic
    from kapcare.fhir import paging
    from kapcare.fhir.models import ApiToken
    from kapcare.fhir.registry import registry
    from kapcare.fhir.tests.conftest import FhirClient

    call_command("demo")
    clinic = Clinic.objects.get(slug="demo")
    token, secret = ApiToken.issue(clinic=clinic, scopes="system/*.*", name="comparison")
    api = FhirClient(client, secret, token)
    patient = Patient.objects.filter(clinic=clinic, courses__dosing_sessions__isnull=False).first()
    real = paging.written
    compared, went_written = 0, set()
    for resource_type in registry().types():
        mapper = registry().get(resource_type)
        queries = [{"_count": "5"}, {"_count": "3", "_offset": "4"}]
        if mapper.param("patient") or any(part.param("patient") for part in mapper.parts()):
            queries += [
                {"patient": patient.pk, "_count": "4"},
                {"patient": patient.pk, "_count": "2", "_offset": "3"},
            ]
        for query in queries:
            taken = []
            monkeypatch.setattr(
                paging, "written", lambda qs, taken=taken: taken.append(real(qs)) or taken[-1]
            )
            written = body(api.get(resource_type, query))
            monkeypatch.setattr(paging, "written", lambda qs: None)
            orm = body(api.get(resource_type, query))
            assert written["resourceType"] == "Bundle", (resource_type, query, written)
            assert (written["total"], entries(written)) == (orm["total"], entries(orm)), (
                resource_type,
                query,
            )
            compared += written["total"] > 0
            went_written |= {(resource_type, bool(plain.joins or plain.related)) for plain in taken if plain}
    assert compared >= 20
    # Joined along keys: a weight's session, a dose's session, a questionnaire response's instrument.
    joined = {kind for kind, with_joins in went_written if with_joins}
    assert {"Observation", "MedicationAdministration", "QuestionnaireResponse", "Patient"} <= joined


def entries(bundle):
    return [entry["resource"] for entry in bundle.get("entry", [])]
