"""Practitioner: the clinic's clinicians, known to other systems by their NPI (US Core asks
Practitioner search by identifier and name)."""

from fhir.resources.R4B.practitioner import Practitioner

from kapcare.fhir.tests.conftest import body

NPI = "1234567893"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"


def test_a_clinician_with_an_npi_carries_it_as_their_identifier(fhir, prescriber):
    prescriber.npi = NPI
    prescriber.save()
    resource = body(fhir().get(f"Practitioner/{prescriber.pk}"))
    assert resource["identifier"] == [{"system": NPI_SYSTEM, "value": NPI}]
    assert resource["qualification"] == [{"code": {"text": "MD"}}]
    Practitioner.model_validate(resource)


def test_a_clinician_without_one_has_no_identifier(fhir, nurse):
    assert "identifier" not in body(fhir().get(f"Practitioner/{nurse.pk}"))


def test_an_npi_given_later_is_a_new_version(fhir, prescriber):
    api = fhir()
    assert body(api.get(f"Practitioner/{prescriber.pk}"))["meta"]["versionId"] == "1"
    prescriber.npi = NPI
    prescriber.save()
    again = body(api.get(f"Practitioner/{prescriber.pk}"))
    assert again["meta"]["versionId"] == "2" and again["identifier"][0]["value"] == NPI


def ids(response):
    found = body(response)
    return found["total"], [entry["resource"]["id"] for entry in found.get("entry", [])]


def test_search_by_identifier_with_or_without_the_npi_system(fhir, prescriber, nurse, therapist):
    prescriber.npi = NPI
    prescriber.save()
    api = fhir()
    assert ids(api.get("Practitioner", {"identifier": NPI})) == (1, [str(prescriber.pk)])
    assert ids(api.get("Practitioner", {"identifier": f"{NPI_SYSTEM}|{NPI}"})) == (1, [str(prescriber.pk)])
    assert ids(api.get("Practitioner", {"identifier": f"{NPI_SYSTEM}|"})) == (1, [str(prescriber.pk)])
    assert ids(api.get("Practitioner", {"identifier": f"urn:oid:2.16.840.1.113883.4.1|{NPI}"})) == (0, [])
    assert ids(api.get("Practitioner", {"identifier": "1245319599"})) == (0, [])


def test_another_clinics_clinician_is_not_found_by_their_npi(fhir, outsider, prescriber):
    outsider.npi = NPI
    outsider.save()
    assert ids(fhir().get("Practitioner", {"identifier": NPI})) == (0, [])


def test_the_capability_statement_lists_the_identifier_search(fhir):
    statement = body(fhir().get("metadata"))
    practitioner = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Practitioner")
    assert {p["name"] for p in practitioner["searchParam"]} >= {"name", "identifier"}
