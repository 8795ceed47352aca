"""Questionnaires and completed responses from kapcare.measures, read-only, with _include."""

import json

import pytest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from kapcare.fhir.tests.conftest import body, expressions
from kapcare.measures.models import Response, install_shipped, record_response
from kapcare.measures.tests.conftest import phq9_answers
from tests.conformance import US_CORE


@pytest.fixture
def phq9(clinic):
    return next(i for i in install_shipped(clinic) if i.name == "phq-9")


@pytest.fixture
def response(phq9, patient, nurse):
    return record_response(phq9, patient, phq9_answers([2, 2, 2, 2, 1, 1, 1, 1, 0]), via="clinic", by=nurse)


def test_an_installed_questionnaire_reads_as_a_valid_questionnaire(fhir, phq9):
    resource = body(fhir().get(f"Questionnaire/{phq9.pk}"))
    Questionnaire.model_validate(resource)
    assert resource["id"] == str(phq9.pk) and resource["url"] == "urn:kapcare:questionnaire:phq-9"
    assert body(fhir().get("Questionnaire", {"url": "urn:kapcare:questionnaire:phq-9"}))["total"] == 1


def test_a_completed_response_reads_as_a_us_core_questionnaire_response(fhir, response, patient, nurse):
    resource = body(fhir().get(f"QuestionnaireResponse/{response.pk}"))
    QuestionnaireResponse.model_validate(resource)
    assert resource["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert resource["author"] == {"reference": f"Practitioner/{nurse.pk}"}
    assert resource["item"][0]["answer"][0]["valueCoding"]["code"] == "LA6570-1"


def test_responses_are_searched_by_patient_and_date(fhir, response, patient, clinic):
    api = fhir()
    assert body(api.get("QuestionnaireResponse", {"patient": f"Patient/{patient.pk}"}))["total"] == 1
    assert body(api.get("QuestionnaireResponse", {"subject": "999999"}))["total"] == 0
    assert body(api.get("QuestionnaireResponse", {"status": "completed"}))["total"] == 1
    assert body(api.get("QuestionnaireResponse", {"status": "in-progress"}))["total"] == 0
    day = response.completed_at.date().isoformat()
    assert body(api.get("QuestionnaireResponse", {"authored": day}))["total"] == 1
    assert body(api.get("QuestionnaireResponse", {"authored": f"gt{day}"}))["total"] == 0


def test_include_brings_the_patient_and_the_author(fhir, response, patient, nurse):
    bundle = body(
        fhir().get(
            "QuestionnaireResponse",
            {"_include": ["QuestionnaireResponse:subject", "QuestionnaireResponse:author"]},
        )
    )
    kinds = [(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]]
    assert kinds == [("QuestionnaireResponse", "match"), ("Patient", "include"), ("Practitioner", "include")]
    assert bundle["total"] == 1


def test_a_patient_level_export_holds_their_responses(fhir, response):
    api = fhir()
    status = api.get("Patient/$export", HTTP_PREFER="respond-async")["Content-Location"]
    manifest = body(api.client.get(status, HTTP_AUTHORIZATION=f"Bearer {api.secret}"))
    counts = {item["type"]: item["count"] for item in manifest["output"]}
    assert counts == {
        "AdverseEvent": 0,
        "Appointment": 0,
        "Encounter": 0,
        "MedicationAdministration": 0,
        "Condition": 0,
        "Consent": 0,
        "Coverage": 0,
        "MedicationStatement": 0,
        "Observation": 1,
        "Patient": 1,
        "QuestionnaireResponse": 1,
    }


def test_patient_scopes_reach_only_their_own_responses(fhir, response, patient, clinic, phq9):
    from kapcare.patients.models import Patient

    other = Patient.objects.create(
        clinic=clinic,
        legal_first_name="Ona",
        legal_last_name="Brill",
        date_of_birth="1990-01-01",
        sex_at_birth="female",
    )
    theirs = record_response(phq9, other, phq9_answers([0] * 9), via="link")
    api = fhir("patient/*.read", patient=other)
    assert api.get(f"QuestionnaireResponse/{response.pk}").status_code == 404
    assert api.get(f"QuestionnaireResponse/{theirs.pk}").status_code == 200


def us_core(name):
    return json.loads((US_CORE / name).read_text())


def test_the_us_core_phq9_questionnaire_and_response_post_and_read_back_equivalent(fhir, patient, prescriber):
    api = fhir()
    questionnaire = us_core("Questionnaire-phq-9-example.json")
    created = api.post("Questionnaire", questionnaire)
    assert created.status_code == 201, created.content
    stored = body(api.get(f"Questionnaire/{body(created)['id']}"))
    assert stored["url"] == questionnaire["url"]
    assert [i["linkId"] for i in stored["item"]] == [i["linkId"] for i in questionnaire["item"]]

    example = us_core("QuestionnaireResponse-phq-9-example.json")
    example["subject"] = {"reference": f"Patient/{patient.pk}"}
    example["author"] = {"reference": f"Practitioner/{prescriber.pk}"}
    posted = api.post("QuestionnaireResponse", example)
    assert posted.status_code == 201, posted.content
    back = body(api.get(f"QuestionnaireResponse/{body(posted)['id']}"))
    QuestionnaireResponse.model_validate(back)

    def answers(resource):
        return {
            item["linkId"]: item["answer"][0]
            .get("valueCoding", {})
            .get("code", item["answer"][0].get("valueDecimal", item["answer"][0].get("valueInteger")))
            for item in resource["item"]
        }

    assert answers(back) == answers(example)
    assert back["questionnaire"].split("|")[0] == example["questionnaire"]
    assert back["authored"].startswith(example["authored"][:19])
    assert Response.objects.get().total == 12


def a_response(subject, writer, change=None):
    resource = us_core("QuestionnaireResponse-phq-9-example.json")
    resource["subject"] = {"reference": f"Patient/{subject.pk}"}
    resource["author"] = {"reference": f"Practitioner/{writer.pk}"}
    return {**resource, **(change or {})}


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"status": "in-progress"}, "QuestionnaireResponse.status"),
        (
            {"questionnaire": "http://example.org/Questionnaire/unknown"},
            "QuestionnaireResponse.questionnaire",
        ),
        ({"subject": {"reference": "Patient/999999"}}, "QuestionnaireResponse.subject"),
        ({"author": None}, "QuestionnaireResponse.author"),
        ({"authored": "2022-11"}, "QuestionnaireResponse.authored"),
    ],
)
def test_a_response_kapcare_cannot_keep_is_refused_with_the_element_named(
    fhir, patient, prescriber, change, where
):
    api = fhir()
    api.post("Questionnaire", us_core("Questionnaire-phq-9-example.json"))
    resource = {k: v for k, v in a_response(patient, prescriber, change).items() if v is not None}
    response = api.post("QuestionnaireResponse", resource)
    assert response.status_code == 422, response.content
    assert where in expressions(response)
    assert not Response.objects.exists()


def test_an_unanswered_item_is_refused_item_by_item(fhir, patient, prescriber):
    api = fhir()
    api.post("Questionnaire", us_core("Questionnaire-phq-9-example.json"))
    resource = a_response(patient, prescriber)
    resource["item"] = [item for item in resource["item"] if item["linkId"] != "/44255-8"]
    response = api.post("QuestionnaireResponse", resource)
    assert response.status_code == 422
    assert "QuestionnaireResponse.item.where(linkId='/44255-8')" in expressions(response)
    assert not Response.objects.exists()


def test_another_clinics_patient_cannot_be_the_subject(fhir, other_clinic, patient, prescriber):
    api = fhir(clinic_=other_clinic)
    api.post("Questionnaire", us_core("Questionnaire-phq-9-example.json"))
    response = api.post("QuestionnaireResponse", a_response(patient, prescriber))
    assert response.status_code == 422 and not Response.objects.exists()


def test_a_scored_total_reads_as_a_survey_observation(fhir, response, patient):
    api = fhir()
    resource = body(api.get(f"Observation/survey-{response.pk}"))
    Observation.model_validate(resource)
    assert resource["code"]["coding"] == [{"system": "http://loinc.org", "code": "44261-6"}]
    assert resource["valueQuantity"]["value"] == 12
    assert resource["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{response.pk}"}]
    assert api.get(f"Observation/{response.pk}").status_code == 404


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"code": "http://loinc.org|44261-6"}, 1),
        ({"code": "44261-6", "category": "survey"}, 1),
        ({"code": "http://snomed.info/sct|44261-6"}, 0),
        ({"code": "70274-6"}, 0),
        ({"category": "vital-signs"}, 0),
        ({"status": "final"}, 1),
    ],
)
def test_survey_observations_are_searched_by_code_and_category(fhir, response, patient, params, count):
    assert body(fhir().get("Observation", {"patient": patient.pk, **params}))["total"] == count


def test_an_observation_includes_the_response_it_derives_from(fhir, response):
    bundle = body(fhir().get("Observation", {"_include": "Observation:derived-from"}))
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "Observation",
        "QuestionnaireResponse",
    ]


def test_a_questionnaire_kapcare_cannot_score_is_kept_with_a_warning_that_responses_will_be_refused(fhir):
    # As an integration found with the SDC PHQ-9 example (answer codes of its own, no LOINC panel
    # code): the create said "Everything sent was kept", and the first response was refused.
    sleep = {
        "resourceType": "Questionnaire",
        "url": "http://example.org/Questionnaire/sleep-diary",
        "status": "active",
        "item": [{"linkId": "1", "text": "How did you sleep?", "type": "string"}],
    }
    api = fhir()
    response = api.post("Questionnaire", sleep, HTTP_PREFER="return=OperationOutcome")
    assert response.status_code == 201, response.content
    said = body(response)["issue"]
    assert said[0]["diagnostics"].startswith("Created Questionnaire/")
    [warning] = said[1:]
    assert warning["severity"] == "warning" and warning["expression"] == ["Questionnaire.code"]
    assert "a QuestionnaireResponse to it will be refused" in warning["diagnostics"]
    assert "44249-1 PHQ-9" in warning["diagnostics"] and "69737-5 GAD-7" in warning["diagnostics"]
    # One kapcare recognises and scores: nothing to warn of.
    recognised = api.post(
        "Questionnaire", us_core("Questionnaire-phq-9-example.json"), HTTP_PREFER="return=OperationOutcome"
    )
    assert recognised.status_code == 201, recognised.content
    assert [i["severity"] for i in body(recognised)["issue"]] == ["information"]


def test_a_questionnaire_posted_again_is_kept_once_and_a_changed_one_is_its_next_version(fhir):
    # A retry, or the same form sent by two feeds: the import replaces the one of the same name, so
    # the second create found the record's first version already written, and answered 500.
    api = fhir()
    questionnaire = us_core("Questionnaire-phq-9-example.json")
    first = api.post("Questionnaire", questionnaire)
    assert first.status_code == 201, first.content
    again = api.post("Questionnaire", questionnaire)
    assert again.status_code == 200, again.content
    assert (body(again)["id"], body(again)["meta"]["versionId"]) == (body(first)["id"], "1")
    changed = api.post(
        "Questionnaire",
        questionnaire | {"title": "PHQ-9, as our portal asks it"},
        HTTP_PREFER="return=OperationOutcome",
    )
    assert changed.status_code == 201, changed.content
    said = body(changed)["issue"]
    assert said[0]["diagnostics"] == f"Created Questionnaire/{body(first)['id']} (version 2)."
    assert "replaces the Questionnaire kept before under the same name" in said[1]["diagnostics"]
    history = body(api.get(f"Questionnaire/{body(first)['id']}/_history"))
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["2", "1"]
    assert history["entry"][0]["resource"]["title"] == "PHQ-9, as our portal asks it"
    # The new version is dated when it came, and a client syncing since the first finds it.
    latest, earlier = (e["resource"]["meta"]["lastUpdated"] for e in history["entry"])
    assert latest > earlier
    since = body(api.get("Questionnaire", {"_lastUpdated": f"gt{earlier}"}))
    assert [e["resource"]["id"] for e in since["entry"]] == [body(first)["id"]]
