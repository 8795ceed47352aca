"""Completed responses as FHIR R4: a QuestionnaireResponse and survey Observations, valid against
the fhir.resources R4B models."""

from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from kapcare.measures import fhir
from kapcare.measures.models import record_response
from kapcare.measures.tests.conftest import phq9_answers


def test_a_phq9_response_is_a_valid_questionnaire_response_with_codings(phq9, patient):
    response = record_response(phq9, patient, phq9_answers([2, 2, 2, 2, 1, 1, 1, 1, 0]), via="link")
    resource = fhir.questionnaire_response(response)
    QuestionnaireResponse.model_validate(resource)
    assert resource["status"] == "completed"
    assert resource["questionnaire"] == "urn:kapcare:questionnaire:phq-9|1.0.0"
    first = resource["item"][0]
    assert first["linkId"] == "/44250-9"
    assert first["answer"][0]["valueCoding"] == {
        "code": "LA6570-1",
        "system": "http://loinc.org",
        "display": "More than half the days",
    }
    assert resource["source"] == {"reference": f"Patient/{patient.pk}"}


def test_the_total_is_a_survey_observation_with_its_loinc_code(phq9, patient):
    response = record_response(phq9, patient, phq9_answers([2, 2, 2, 2, 1, 1, 1, 1, 0]), via="link")
    total, *items = fhir.observations(response)
    Observation.model_validate(total)
    assert total["code"]["coding"] == [{"system": "http://loinc.org", "code": "44261-6"}]
    assert total["category"][0]["coding"][0]["code"] == "survey"
    assert total["valueQuantity"] == {
        "value": 12,
        "unit": "{score}",
        "system": "http://unitsofmeasure.org",
        "code": "{score}",
    }
    assert total["interpretation"] == [{"text": "Moderate"}]
    assert total["derivedFrom"] == [{"reference": f"QuestionnaireResponse/measures-{response.pk}"}]
    assert len(items) == 9
    for item in items:
        Observation.model_validate(item)
    assert items[-1]["code"]["coding"][0]["code"] == "44260-8"


def test_a_staff_entry_names_its_author(instruments, patient, nurse):
    madrs = instruments["madrs"]
    response = record_response(
        madrs, patient, {f"madrs/{n}": 2 for n in range(1, 11)}, via="clinic", by=nurse
    )
    resource = fhir.questionnaire_response(response)
    QuestionnaireResponse.model_validate(resource)
    assert resource["author"] == {"reference": f"Practitioner/{nurse.pk}"}
    assert resource["item"][0]["answer"] == [{"valueInteger": 2}]
    for observation in fhir.observations(response):
        Observation.model_validate(observation)
