"""Versions: ETag and Last-Modified, update with If-Match, vread and history."""

from kapcare.fhir.models import ResourceVersion
from kapcare.fhir.tests.conftest import body, expressions, issues
from kapcare.patients.models import Patient


def new_patient(api):
    created = api.post(
        "Patient",
        {
            "resourceType": "Patient",
            "name": [{"family": "Lund", "given": ["Elsa"]}],
            "birthDate": "1991-07-14",
        },
    )
    assert created.status_code == 201
    return body(created)


def test_create_answers_location_etag_and_last_modified(fhir):
    api = fhir()
    response = api.post(
        "Patient",
        {
            "resourceType": "Patient",
            "name": [{"family": "Lund", "given": ["Elsa"]}],
            "birthDate": "1991-07-14",
        },
    )
    pk = Patient.objects.get().pk
    assert response["Location"] == f"http://testserver/fhir/R4/Patient/{pk}/_history/1"
    assert response["ETag"] == 'W/"1"'
    assert response["Last-Modified"].endswith("GMT")
    assert body(response)["meta"]["versionId"] == "1"


def test_update_makes_a_new_version(fhir):
    api = fhir()
    resource = new_patient(api)
    resource["name"][0]["family"] = "Lund-Berg"
    response = api.put(f"Patient/{resource['id']}", resource, HTTP_IF_MATCH='W/"1"')
    assert response.status_code == 200, response.content
    assert response["ETag"] == 'W/"2"'
    assert Patient.objects.get().legal_last_name == "Lund-Berg"
    assert body(api.get(f"Patient/{resource['id']}/_history/1"))["name"][0]["family"] == "Lund"
    assert body(api.get(f"Patient/{resource['id']}/_history/2"))["name"][0]["family"] == "Lund-Berg"


def test_an_update_against_a_stale_version_is_refused_with_412_and_changes_nothing(fhir):
    api = fhir()
    resource = new_patient(api)
    resource["name"][0]["family"] = "First"
    api.put(f"Patient/{resource['id']}", resource, HTTP_IF_MATCH='W/"1"')
    resource["name"][0]["family"] = "Second"
    response = api.put(f"Patient/{resource['id']}", resource, HTTP_IF_MATCH='W/"1"')
    assert response.status_code == 412
    assert "version 2" in issues(response)[0]["diagnostics"]
    assert Patient.objects.get().legal_last_name == "First"


def test_an_update_whose_id_differs_from_the_address_is_refused(fhir, patient):
    api = fhir()
    resource = body(api.get(f"Patient/{patient.pk}"))
    resource["id"] = "999"
    response = api.put(f"Patient/{patient.pk}", resource)
    assert response.status_code == 400 and expressions(response) == ["Patient.id"]


def test_update_cannot_create_a_patient_at_an_id_of_the_clients_choosing(fhir):
    response = fhir().put(
        "Patient/777",
        {
            "resourceType": "Patient",
            "id": "777",
            "birthDate": "1990-01-01",
            "name": [{"family": "A", "given": ["B"]}],
        },
    )
    assert response.status_code == 404
    assert not Patient.objects.exists()


def test_a_change_made_in_the_app_becomes_a_new_version_when_the_api_next_reads_it(fhir, patient):
    api = fhir()
    assert body(api.get(f"Patient/{patient.pk}"))["meta"]["versionId"] == "1"
    Patient.objects.filter(pk=patient.pk).update(city="Lowell")
    read = api.get(f"Patient/{patient.pk}")
    assert read["ETag"] == 'W/"2"'
    assert body(read)["address"][0]["city"] == "Lowell"
    assert body(api.get(f"Patient/{patient.pk}"))["meta"]["versionId"] == "2"
    assert ResourceVersion.objects.filter(resource_id=str(patient.pk)).count() == 2


def test_instance_history_lists_every_version_newest_first(fhir):
    api = fhir()
    resource = new_patient(api)
    resource["birthDate"] = "1991-07-15"
    api.put(f"Patient/{resource['id']}", resource)
    history = body(api.get(f"Patient/{resource['id']}/_history"))
    assert history["type"] == "history" and history["total"] == 2
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["2", "1"]
    assert [e["request"]["method"] for e in history["entry"]] == ["PUT", "POST"]


def test_type_history_lists_versions_of_the_clinics_resources_only(fhir, other_clinic):
    mine, theirs = fhir(), fhir(clinic_=other_clinic)
    new_patient(mine)
    new_patient(theirs)
    history = body(mine.get("Patient/_history"))
    assert history["total"] == 1


def test_vread_of_a_version_that_does_not_exist_is_404(fhir, patient):
    assert fhir().get(f"Patient/{patient.pk}/_history/9").status_code == 404


def test_history_since_leaves_out_older_versions(fhir):
    from datetime import timedelta

    api = fhir()
    resource = new_patient(api)
    ResourceVersion.objects.update(at=ResourceVersion.objects.get().at - timedelta(days=3))
    resource["birthDate"] = "1991-07-15"
    api.put(f"Patient/{resource['id']}", resource)
    recent = (ResourceVersion.objects.order_by("-version").first().at - timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    history = body(api.get(f"Patient/{resource['id']}/_history", {"_since": recent}))
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["2"]


def test_an_app_records_a_change_as_a_version_at_once(fhir, patient):
    from kapcare.fhir.mappers import REGISTRY
    from kapcare.fhir.versions import record_version

    api = fhir()
    api.get(f"Patient/{patient.pk}")
    patient.city = "Lowell"
    patient.save()
    version = record_version(REGISTRY.get("Patient"), patient, patient.clinic_id)
    assert (version.version, version.source) == (2, "app")
    assert body(api.get(f"Patient/{patient.pk}/_history/2"))["address"][0]["city"] == "Lowell"
