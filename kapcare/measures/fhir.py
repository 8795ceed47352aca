"""A completed response as FHIR R4: a QuestionnaireResponse, and survey Observations for its total
(with the instrument's LOINC total code) and for each item that has a LOINC code.

Plain functions returning JSON dicts; the FHIR API maps them to its own ids and endpoints.
Observations follow the US Core Observation Screening Assessment profile: category survey, score
unit {score} (reference/instruments.md §0).
"""

from kapcare.measures.models import Response
from kapcare.measures.questionnaires import parse_questionnaire

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
US_CORE_QR = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-questionnaireresponse"
US_CORE_SURVEY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-screening-assessment"


def questionnaire_response(response: Response) -> dict:
    instrument = response.instrument
    parsed = parse_questionnaire(instrument.questionnaire) if instrument.questionnaire else None
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": f"measures-{response.pk}",
        "meta": {"profile": [US_CORE_QR]},
        "status": "completed",
        "subject": {"reference": f"Patient/{response.patient_id}"},
        "authored": _instant(response.completed_at),
        "item": [_item(link_id, value, parsed) for link_id, value in response.answers.items()],
    }
    if parsed is not None and parsed.url:
        resource["questionnaire"] = parsed.url + (f"|{parsed.version}" if parsed.version else "")
    if response.entered_by_id:
        resource["author"] = {"reference": f"Practitioner/{response.entered_by_id}"}
    else:
        resource["source"] = {"reference": f"Patient/{response.patient_id}"}
    return resource


def _item(link_id: str, value, parsed) -> dict:
    item = parsed.item(link_id) if parsed else None
    entry = {"linkId": link_id, "answer": [_answer(value, item)]}
    if item is not None and item.text:
        entry["text"] = item.text
    return entry


def _answer(value, item) -> dict:
    option = item.option_for(value) if item is not None else None
    if option is not None and option.code is not None:
        coding = {"code": option.code}
        if option.system:
            coding["system"] = option.system
        if option.display:
            coding["display"] = option.display
        return {"valueCoding": coding}
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueDecimal": value}
    return {"valueString": str(value)}


def observations(response: Response) -> list[dict]:
    """The total's Observation first (if the instrument has a LOINC total code), then one per
    LOINC-coded item, each derived from the QuestionnaireResponse."""
    instrument = response.instrument
    found = []
    total_code = instrument.loinc_total
    if total_code and response.total is not None:
        total = _observation(response, "total", total_code, instrument.title + " total score")
        total["valueQuantity"] = _score(response.total)
        if response.band_label:
            total["interpretation"] = [{"text": response.band_label}]
        found.append(total)
    for item_id, item_code in _item_codes(instrument).items():
        if item_id in response.item_scores:
            observation = _observation(response, item_id, item_code, None)
            observation["valueQuantity"] = _score(response.item_scores[item_id])
            found.append(observation)
    return found


def _item_codes(instrument) -> dict[str, str]:
    return {item["link_id"]: item["code"] for item in instrument.scoring.get("items", []) if item.get("code")}


def _observation(response: Response, part: str, code: str, text: str | None) -> dict:
    concept = {"coding": [{"system": LOINC, "code": code}]}
    if text:
        concept["text"] = text
    slug = "".join(c if c.isalnum() else "-" for c in part).strip("-")
    return {
        "resourceType": "Observation",
        "id": f"measures-{response.pk}-{slug}",
        "meta": {"profile": [US_CORE_SURVEY]},
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "survey", "display": "Survey"}]}],
        "code": concept,
        "subject": {"reference": f"Patient/{response.patient_id}"},
        "effectiveDateTime": _instant(response.completed_at),
        "derivedFrom": [{"reference": f"QuestionnaireResponse/measures-{response.pk}"}],
    }


def _score(value) -> dict:
    number = int(value) if value == int(value) else float(value)
    return {"value": number, "unit": "{score}", "system": UCUM, "code": "{score}"}


def _instant(at) -> str:
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")
