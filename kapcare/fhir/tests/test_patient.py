"""Patient as US Core Patient: the mapping both ways, the official example, and bad input."""

import json

import pytest
from fhir.resources.R4B.patient import Patient as FhirPatient

from kapcare.fhir.tests.conftest import body, expressions, issues
from kapcare.patients.models import Patient
from tests.conformance import SYNTHEA, US_CORE

BIRTHSEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"


def minimal(**extra):
    return {
        "resourceType": "Patient",
        "name": [{"family": "Okafor", "given": ["Ngozi"]}],
        "birthDate": "1979-05-02",
        **extra,
    }


def test_a_patient_reads_as_a_valid_us_core_patient(fhir, patient):
    patient.address_line, patient.city, patient.state, patient.postal_code = (
        "12 Elm St",
        "Salem",
        "MA",
        "01970",
    )
    patient.emergency_contact_name, patient.emergency_contact_relationship = "Rowan Quillfeather", "Sister"
    patient.emergency_contact_phone = "+16175550188"
    patient.save()
    resource = body(fhir().get(f"Patient/{patient.pk}"))
    FhirPatient.model_validate(resource)
    assert resource["identifier"][0] == {
        "use": "usual",
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                    "code": "MR",
                    "display": "Medical record number",
                }
            ]
        },
        "system": "urn:kapcare:riverside:mrn",
        "value": "K000001",
    }
    assert resource["name"] == [
        {"use": "official", "family": "Quillfeather", "given": ["Marguerite"]},
        {"use": "usual", "family": "Quillfeather", "given": ["Daisy"]},
    ]
    assert {"system": "phone", "value": "+16175550123", "use": "mobile"} in resource["telecom"]
    assert resource["birthDate"] == "1984-03-09"
    assert {"url": BIRTHSEX, "valueCode": "F"} in resource["extension"]
    assert resource["address"] == [
        {"line": ["12 Elm St"], "city": "Salem", "state": "MA", "postalCode": "01970"}
    ]
    assert resource["communication"][0]["language"]["coding"][0]["code"] == "en"
    contact = resource["contact"][0]
    assert contact["relationship"][0]["coding"][0]["code"] == "C"
    assert contact["relationship"][1] == {"text": "Sister"}
    assert contact["name"] == {"text": "Rowan Quillfeather"}
    assert contact["telecom"] == [{"system": "phone", "value": "+16175550188"}]


def test_the_mrn_system_names_the_clinic_and_can_be_configured(fhir, patient, settings):
    settings.FHIR_MRN_SYSTEM = "https://ehr.example.org/{clinic}/mrn"
    resource = body(fhir().get(f"Patient/{patient.pk}"))
    assert resource["identifier"][0]["system"] == "https://ehr.example.org/riverside/mrn"


@pytest.mark.parametrize(
    ("identity", "gender"),
    [("Woman", "female"), ("trans man", "male"), ("Non-binary", "other"), ("", "unknown")],
)
def test_administrative_gender_comes_from_gender_identity_never_from_sex_at_birth(
    fhir, patient, identity, gender
):
    patient.gender_identity = identity
    patient.save()
    assert body(fhir().get(f"Patient/{patient.pk}"))["gender"] == gender


def test_a_patient_sent_without_gender_reads_back_as_unknown_as_us_core_requires(fhir):
    # US Core Patient has gender 1..1: a patient whose gender is not known reads "unknown".
    api = fhir()
    created = api.post("Patient", minimal())
    assert created.status_code == 201, created.content
    resource = body(api.get(f"Patient/{body(created)['id']}"))
    assert resource["gender"] == "unknown"
    FhirPatient.model_validate(resource)


def test_a_patient_sent_as_gender_unknown_reads_back_unknown(fhir):
    api = fhir()
    created = api.post("Patient", minimal(gender="unknown"))
    assert body(api.get(f"Patient/{body(created)['id']}"))["gender"] == "unknown"


def test_intersex_is_left_out_of_birthsex_rather_than_misstated(fhir, patient):
    patient.sex_at_birth = "intersex"
    patient.save()
    resource = body(fhir().get(f"Patient/{patient.pk}"))
    assert all(ext["url"] != BIRTHSEX for ext in resource.get("extension", []))


def test_the_us_core_example_patient_posts_and_reads_back_equivalent(fhir):
    example = json.loads((US_CORE / "patient-example.json").read_text())
    api = fhir()
    created = api.post("Patient", example)
    assert created.status_code == 201, created.content
    back = body(api.get(created["Location"].split("/R4/")[1].split("/_history")[0]))
    # What kapcare keeps: the current name, email, birth date, current address, language.
    assert back["name"] == [{"use": "official", "family": "Baxter", "given": ["Amy", "V."]}]
    assert back["birthDate"] == example["birthDate"]
    assert {"system": "email", "value": "amy.shaw@example.com"} in back["telecom"]
    current_address = example["address"][1]
    assert back["address"] == [{key: current_address[key] for key in ("line", "city", "state", "postalCode")}]
    assert back["communication"] == [
        {
            "language": {
                "coding": [{"system": "urn:ietf:bcp:47", "code": "es", "display": "Spanish"}],
                "text": "Spanish",
            },
            "preferred": True,
        }
    ]
    stored = Patient.objects.get()
    assert (stored.legal_first_name, stored.legal_last_name, stored.sex_at_birth) == (
        "Amy V.",
        "Baxter",
        "unknown",
    )
    # The home phone is not a mobile number, so it is not kept as one.
    assert stored.phone == ""


def test_the_synthea_patient_keeps_birthsex_and_official_name(fhir):
    bundle = json.loads(SYNTHEA.read_text())
    resource = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert fhir().post("Patient", resource).status_code == 201
    stored = Patient.objects.get()
    official = next(n for n in resource["name"] if n.get("use") == "official")
    assert stored.legal_last_name == official["family"] and stored.sex_at_birth == "male"


def test_a_preferred_name_beside_the_official_one_is_kept_as_preferred(fhir):
    fhir().post(
        "Patient",
        minimal(
            name=[
                {"use": "official", "family": "Okafor", "given": ["Ngozi"]},
                {"use": "usual", "given": ["Zizi"]},
            ]
        ),
    )
    assert Patient.objects.get().preferred_name == "Zizi"


def test_a_mobile_number_is_stored_in_e164(fhir):
    fhir().post("Patient", minimal(telecom=[{"system": "phone", "value": "(617) 555-0144", "use": "mobile"}]))
    assert str(Patient.objects.get().phone) == "+16175550144"


@pytest.mark.parametrize(
    ("change", "status", "where"),
    [
        ({"birthDate": "1979-13-02"}, 400, "Patient.birthDate"),
        ({"birthDate": "1979"}, 422, "Patient.birthDate"),
        ({"birthDate": "2999-01-01"}, 422, "Patient.birthDate"),
        ({"name": [{"given": ["Ngozi"]}]}, 422, "Patient.name[0].family"),
        ({"name": [{"use": "old", "family": "Okafor", "given": ["N"]}]}, 422, "Patient.name"),
        ({"telecom": [{"system": "phone", "value": "12", "use": "mobile"}]}, 422, "Patient.telecom[0].value"),
        ({"telecom": [{"system": "email", "value": "not-an-address"}]}, 422, "Patient.telecom[0].value"),
        ({"gender": "woman"}, 422, "Patient.gender"),
        ({"deceasedDateTime": "2020-01-01T10:00:00-05:00"}, 422, "Patient.deceasedDateTime"),
        ({"deceasedBoolean": True}, 422, "Patient.deceasedBoolean"),
        ({"favouriteColour": "teal"}, 400, "Patient.favouriteColour"),
        ({"name": [{"family": "O" * 101, "given": ["N"]}]}, 422, "Patient.name.family"),
        (
            {"contact": [{"telecom": [{"system": "phone", "value": "abc"}]}]},
            422,
            "Patient.contact[0].telecom[0].value",
        ),
    ],
)
def test_bad_input_is_refused_with_the_element_named_and_nothing_stored(fhir, change, status, where):
    response = fhir().post("Patient", minimal(**change))
    assert response.status_code == status, response.content
    assert where in expressions(response)
    assert all(item["diagnostics"] for item in issues(response))
    assert not Patient.objects.exists()


def test_a_resource_of_another_type_is_refused_at_a_patient_address(fhir):
    response = fhir().post("Patient", {"resourceType": "Practitioner"})
    assert response.status_code == 400
    assert "Practitioner" in issues(response)[0]["diagnostics"]


def test_an_mrn_already_in_use_is_refused(fhir, patient):
    response = fhir().post(
        "Patient", minimal(identifier=[{"system": "urn:kapcare:riverside:mrn", "value": "K000001"}])
    )
    assert response.status_code == 422
    assert expressions(response) == ["Patient.identifier[0].value"]
    assert Patient.objects.count() == 1


def test_an_id_in_a_create_is_ignored(fhir, patient):
    response = fhir().post("Patient", minimal(id=str(patient.pk)))
    assert response.status_code == 201
    assert body(response)["id"] != str(patient.pk)
    assert Patient.objects.get(pk=patient.pk).legal_last_name == "Quillfeather"


def test_practitioners_are_staff_with_a_clinical_role(fhir, prescriber, intake):
    api = fhir()
    resource = body(api.get(f"Practitioner/{prescriber.pk}"))
    assert resource["name"] == [{"text": "Iris Calder", "family": "Calder", "given": ["Iris"]}]
    assert resource["qualification"] == [{"code": {"text": "MD"}}]
    assert api.get(f"Practitioner/{intake.pk}").status_code == 404


def test_practitioners_are_read_only(fhir, prescriber):
    response = fhir().post("Practitioner", {"resourceType": "Practitioner"})
    assert response.status_code == 405


def test_a_patient_said_to_be_alive_is_taken(fhir):
    assert fhir().post("Patient", minimal(deceasedBoolean=False)).status_code == 201


IDENTITIES = [
    "Woman", "  trans-woman ", "Trans  Woman", "FEMALE", "f", "cis-man", "MAN", "Male", "boy",
    "Non-binary", "Genderqueer", "Two-Spirit", "woman of colour", "womanly", "", "   ", "-",
]  # fmt: skip


def test_search_by_gender_finds_each_patient_as_their_resource_reads(fhir, clinic):
    from kapcare.fhir.mappers.patient import administrative_gender

    made = {
        Patient.objects.create(
            clinic=clinic,
            legal_first_name="Gender",
            legal_last_name=f"Case{index}",
            date_of_birth="1990-01-01",
            gender_identity=identity,
        ).pk: identity
        for index, identity in enumerate(IDENTITIES)
    }
    api = fhir()
    for gender in ("female", "male", "other", "unknown"):
        wanted = {str(pk) for pk, identity in made.items() if administrative_gender(identity) == gender}
        found = body(api.get("Patient", {"gender": gender, "_count": 100}))
        assert {entry["resource"]["id"] for entry in found.get("entry", [])} == wanted, gender
        assert {entry["resource"]["gender"] for entry in found.get("entry", [])} <= {gender}
    both = body(api.get("Patient", {"gender": "http://hl7.org/fhir/administrative-gender|male,female"}))
    assert both["total"] == sum(administrative_gender(i) in ("male", "female") for i in IDENTITIES)
    # US Core's gender+name search.
    assert body(api.get("Patient", {"gender": "female", "family": "Case1"}))["total"] == 1


@pytest.mark.parametrize("value", ["woman", "F", "http://loinc.org|female"])
def test_a_gender_outside_the_administrative_genders_is_refused(fhir, value):
    response = fhir().get("Patient", {"gender": value})
    assert response.status_code == 400
    assert "male, female, other and unknown" in issues(response)[0]["diagnostics"]
