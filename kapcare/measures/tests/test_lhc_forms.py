"""PHQ-9 and GAD-7 imported in the LHC-Forms style score exactly as the shipped ones do.

The PHQ-9 fixture is the older style: weights as iso21090-CO-value on the Coding, items inside a
panel group with their own linkIds, and a rule-editor total built from per-item variables. The
GAD-7 fixture is the newer style: ordinalValue on the answerOption and an ordinal() total. A
third, in the style of the SDC specification's example, has no LOINC codes at all.
"""

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kapcare.measures.questionnaires import calculate, load_questionnaire, read_response
from kapcare.measures.scoring import definition_for, score, score_response, shipped_definition
from kapcare.measures.tests.responses import FIXTURES, answers_for, response_for

CASES = {
    # instrument: (fixture, group the items sit in, linkId of the imported total)
    "phq-9": ("lhc-phq-9", "/44249-1", "/44249-1/44261-6"),
    "gad-7": ("lhc-gad-7", None, "/70274-6"),
}


@cache
def imported(instrument):
    fixture, _, _ = CASES[instrument]
    return load_questionnaire(FIXTURES / f"{fixture}.questionnaire.json")


@pytest.mark.parametrize("instrument", CASES)
def test_the_import_is_recognised_as_the_shipped_instrument_by_its_loinc_panel(instrument):
    definition = definition_for(imported(instrument))
    assert definition.instrument == instrument
    assert definition.score_range("total") == shipped_definition(instrument).score_range("total")


def test_lhc_phq_9_items_are_matched_by_loinc_code_when_link_ids_differ():
    definition = definition_for(imported("phq-9"))
    item_9 = definition.item("/44260-8")
    assert item_9.answer_key == "/44249-1/44260-8"
    assert [o.weight for o in item_9.options] == [0, 1, 2, 3]


@pytest.mark.parametrize("instrument", CASES)
def test_the_lhc_import_reports_nothing_it_misunderstood(instrument):
    assert imported(instrument).report.is_clean


def scores_three_ways(instrument, item_scores):
    """Total by the shipped definition, by the definition bound to the import, and by the
    import's own SDC calculatedExpression."""
    _, group, total_link_id = CASES[instrument]
    shipped = shipped_definition(instrument)
    questionnaire = imported(instrument)
    bound = definition_for(questionnaire)
    response = response_for(bound, item_scores, group=group)
    return (
        score(shipped, answers_for(shipped, item_scores)),
        score_response(bound, response),
        calculate(questionnaire, response)[total_link_id],
    )


@pytest.mark.parametrize(
    "instrument, item_scores, total, band",
    [
        ("phq-9", [2, 2, 2, 2, 1, 1, 2, 0, 0], 12, "moderate"),
        ("phq-9", [3, 3, 3, 3, 3, 3, 3, 3, 1], 25, "severe"),
        ("gad-7", [1, 1, 1, 1, 1, 0, 0], 5, "mild"),
        ("gad-7", [3, 3, 3, 3, 3, 0, 0], 15, "severe"),
    ],
)
def test_hand_worked_examples_score_the_same_every_way(instrument, item_scores, total, band):
    shipped, imported_result, calculated = scores_three_ways(instrument, item_scores)
    assert shipped.total == imported_result.total == calculated == total
    assert shipped.band == imported_result.band and shipped.band.code == band
    assert shipped.flags == imported_result.flags


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_every_answer_combination_scores_the_same_every_way(data):
    instrument = data.draw(st.sampled_from(sorted(CASES)))
    count = len(shipped_definition(instrument).items)
    item_scores = data.draw(st.lists(st.integers(0, 3), min_size=count, max_size=count))
    shipped, imported_result, calculated = scores_three_ways(instrument, item_scores)
    assert shipped.total == imported_result.total == calculated == sum(item_scores)
    assert shipped.band == imported_result.band
    assert shipped.flags == imported_result.flags


def test_an_lhc_response_that_kept_only_displays_still_scores():
    questionnaire = imported("gad-7")
    definition = definition_for(questionnaire)
    response = response_for(definition, [0, 1, 2, 3, 0, 1, 2])
    for item in response["item"]:
        del item["answer"][0]["valueCoding"]["code"]
    assert read_response(response, questionnaire)["/69725-0"] == "LA6568-5"
    assert score_response(definition, response).total == 9


def test_unanswered_lhc_form_gives_no_calculated_total():
    questionnaire = imported("phq-9")
    empty = {"resourceType": "QuestionnaireResponse", "item": []}
    assert calculate(questionnaire, empty) == {"/44249-1/44261-6": None}


@settings(max_examples=50, deadline=None)
@given(item_scores=st.lists(st.integers(0, 3), min_size=9, max_size=9))
def test_an_sdc_style_phq_9_with_no_loinc_codes_totals_the_same_through_answers(item_scores):
    """The SDC example style: weights in a contained value set, a total using answers()."""
    questionnaire = sdc_style_phq_9()
    assert questionnaire.report.is_clean
    shipped = shipped_definition("phq-9")
    items = []
    for n, wanted in enumerate(item_scores, 1):
        option = next(o for o in questionnaire.item(f"H1/T1/Q{n}").options if o.weight == wanted)
        coding = {"system": option.system, "code": option.code, "display": option.display}
        items.append({"linkId": f"H1/T1/Q{n}", "answer": [{"valueCoding": coding}]})
    response = {"resourceType": "QuestionnaireResponse", "item": [{"linkId": "H1/T1", "item": items}]}
    expected = score(shipped, answers_for(shipped, item_scores)).total
    assert calculate(questionnaire, response) == {"H1/TS": expected}


@cache
def sdc_style_phq_9():
    return load_questionnaire(FIXTURES / "sdc-phq-9.questionnaire.json")
