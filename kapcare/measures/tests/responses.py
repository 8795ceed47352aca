"""Build answers and QuestionnaireResponses for tests from the item scores a clinician means."""

from pathlib import Path

from kapcare.measures.scoring import ScoredItem, ScoringDefinition

FIXTURES = Path(__file__).with_name("fixtures")


def answer_scoring(item: ScoredItem, wanted):
    """The recorded answer (a code or a number) that gives the item the wanted score."""
    for answer in item.allowed_answers():
        if item.score_answer(answer) == wanted:
            return answer
    raise AssertionError(f"{item.link_id} has no answer scoring {wanted}")


def answers_for(definition: ScoringDefinition, scores: list) -> dict:
    """{answer linkId: answer} for item scores given in item order; None leaves an item blank."""
    assert len(scores) == len(definition.items), "one score per item"
    return {
        item.answer_key: answer_scoring(item, wanted)
        for item, wanted in zip(definition.items, scores, strict=True)
        if wanted is not None
    }


def response_for(definition: ScoringDefinition, scores: list, *, group: str | None = None) -> dict:
    """A FHIR QuestionnaireResponse answering with Codings, as a form would send it."""
    items = []
    for item, wanted in zip(definition.items, scores, strict=True):
        if wanted is None:
            continue
        code = answer_scoring(item, wanted)
        option = next(o for o in item.options if o.key == code)
        coding = {"system": option.system, "code": option.code, "display": option.display}
        items.append({"linkId": item.answer_key, "answer": [{"valueCoding": coding}]})
    if group:
        items = [{"linkId": group, "item": items}]
    return {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items}
