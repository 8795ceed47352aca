import json
from decimal import Decimal

import pytest

from kapcare.measures.questionnaires import (
    CALCULATED_EXPRESSION,
    CO_VALUE,
    ITEM_WEIGHT,
    ORDINAL_VALUE,
    QuestionnaireError,
    calculate,
    check_fhirpath,
    is_enabled,
    load_questionnaire,
    parse_questionnaire,
    read_response,
)
from tests.conformance import US_CORE

FREQUENCY_CODES = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


def us_core_phq_9():
    return load_questionnaire(US_CORE / "Questionnaire-phq-9-example.json")


def us_core_response():
    return json.loads((US_CORE / "QuestionnaireResponse-phq-9-example.json").read_text())


def choice_item(link_id, option):
    return {"linkId": link_id, "type": "choice", "text": "How often?", "answerOption": [option]}


def weighted(code, weight, url=ORDINAL_VALUE, on_coding=False, value_key="valueDecimal"):
    """An answerOption carrying its weight the way one exporter or another writes it."""
    extension = [{"url": url, value_key: weight}]
    if on_coding:
        return {"valueCoding": {"code": code, "extension": extension}}
    return {"valueCoding": {"code": code}, "extension": extension}


def calculated(link_id, expression):
    value = {"language": "text/fhirpath", "expression": expression}
    extension = [{"url": CALCULATED_EXPRESSION, "valueExpression": value}]
    return {"linkId": link_id, "type": "decimal", "extension": extension}


def response(*items):
    return {"resourceType": "QuestionnaireResponse", "item": list(items)}


def answered(link_id, *answers):
    return {"linkId": link_id, "answer": list(answers)}


def questionnaire_with(*items, **fields):
    return parse_questionnaire({"resourceType": "Questionnaire", "item": list(items), **fields})


def test_it_reads_the_us_core_phq_9_items_codes_and_ordinal_weights():
    questionnaire = us_core_phq_9()
    item = questionnaire.item("/44250-9")
    assert item.type == "choice" and item.required
    assert item.has_code("44250-9")
    assert [(o.code, o.weight) for o in item.options] == list(zip(FREQUENCY_CODES, range(4), strict=True))
    assert questionnaire.has_code("44249-1")
    assert "No permission required" in questionnaire.copyright


STU3_ORDINAL = "http://hl7.org/fhir/StructureDefinition/questionnaire-ordinalValue"


@pytest.mark.parametrize(
    "option",
    [
        weighted("a", 2),
        weighted("a", 2, url=ITEM_WEIGHT),
        weighted("a", 2, url=STU3_ORDINAL, value_key="valueInteger"),
        weighted("a", 2, url=CO_VALUE, on_coding=True),
        weighted("a", 2.0, on_coding=True),
    ],
    ids=["ordinalValue", "itemWeight", "stu3-ordinalValue", "lhc-iso21090-CO-value", "on-the-coding"],
)
def test_it_finds_answer_weights_in_every_style_in_use(option):
    item = questionnaire_with(choice_item("q", option)).item("q")
    assert item.options[0].weight == 2
    assert item.is_weighted


def test_itemweight_wins_over_an_older_ordinal_value_on_the_same_option():
    option = weighted("a", 9, url=CO_VALUE, on_coding=True)
    option["extension"] = [{"url": ITEM_WEIGHT, "valueDecimal": 1}]
    assert questionnaire_with(choice_item("q", option)).item("q").options[0].weight == 1


def test_decimal_weights_stay_exact():
    option = weighted("a", 0.1)
    assert questionnaire_with(choice_item("q", option)).item("q").options[0].weight == Decimal("0.1")


def test_integer_options_weigh_what_they_say():
    item = {"linkId": "q", "type": "choice", "answerOption": [{"valueInteger": 0}, {"valueInteger": 4}]}
    parsed = questionnaire_with(item)
    assert [o.weight for o in parsed.item("q").options] == [0, 4]
    assert parsed.report.is_clean


def test_it_takes_options_and_weights_from_a_contained_value_set():
    concept = weighted("x", 3, url="http://hl7.org/fhir/StructureDefinition/valueset-ordinalValue")
    concept = {"code": "x", "display": "X", "extension": concept["extension"]}
    value_set = {
        "resourceType": "ValueSet",
        "id": "vs",
        "compose": {"include": [{"system": "http://example.org", "concept": [concept]}]},
    }
    parsed = questionnaire_with(
        {"linkId": "q", "type": "choice", "answerValueSet": "#vs"}, contained=[value_set]
    )
    option = parsed.item("q").options[0]
    assert (option.system, option.code, option.weight) == ("http://example.org", "x", 3)


def test_it_keeps_groups_and_walks_items_in_the_order_a_patient_meets_them():
    parsed = questionnaire_with(
        {"linkId": "g", "type": "group", "item": [{"linkId": "a", "type": "string"}]},
        {"linkId": "b", "type": "integer"},
    )
    assert [i.link_id for i in parsed.walk()] == ["g", "a", "b"]
    assert parsed.items[0].items[0].link_id == "a"


def test_it_refuses_something_that_is_not_a_questionnaire():
    with pytest.raises(QuestionnaireError):
        parse_questionnaire({"resourceType": "Patient"})


def test_it_reads_the_us_core_response_into_codes_by_link_id():
    answers = read_response(us_core_response(), us_core_phq_9())
    assert answers["/44250-9"] == "LA6570-1"
    assert answers["/44261-6"] == 12
    assert answers["/69722-7"] == "LA6573-5"


def test_it_matches_an_answer_by_display_when_the_code_is_missing():
    parsed = questionnaire_with(
        choice_item("q", {"valueCoding": {"code": "LA6570-1", "display": "More than half the days"}})
    )
    typed = response(answered("q", {"valueCoding": {"display": "more than  half the days"}}))
    assert read_response(typed, parsed) == {"q": "LA6570-1"}


def test_it_matches_a_string_answer_to_an_option_by_display():
    parsed = questionnaire_with(choice_item("q", {"valueCoding": {"code": "y", "display": "Yes"}}))
    typed = response(answered("q", {"valueString": "yes"}))
    assert read_response(typed, parsed) == {"q": "y"}


def test_an_option_coded_only_by_display_is_answered_by_that_display():
    parsed = questionnaire_with(choice_item("q", {"valueCoding": {"display": "Often"}}))
    typed = response(answered("q", {"valueCoding": {"display": "often"}}))
    assert read_response(typed, parsed) == {"q": "Often"}
    assert parsed.item("q").option_for("Often").display == "Often"


def test_an_unmatched_display_is_kept_as_text_for_the_engine_to_refuse():
    typed = response(answered("q", {"valueCoding": {"display": "Sometimes"}}))
    assert read_response(typed) == {"q": "Sometimes"}


def test_it_reads_nested_and_repeating_answers():
    many = answered("many", {"valueCoding": {"code": "a"}}, {"valueCoding": {"code": "b"}})
    child = answered("child", {"valueDecimal": 1.5})
    nested = response(
        {"linkId": "g", "item": [many]},
        answered("parent", {"valueBoolean": True, "item": [child]}),
    )
    assert read_response(nested) == {
        "many": ["a", "b"],
        "parent": True,
        "child": Decimal("1.5"),
    }


def test_enable_when_decides_whether_an_item_is_asked():
    parsed = questionnaire_with(
        {"linkId": "q2", "type": "boolean"},
        {
            "linkId": "q3",
            "type": "boolean",
            "enableWhen": [{"question": "q2", "operator": "=", "answerBoolean": True}],
        },
    )
    follow_up = parsed.item("q3")
    assert is_enabled(follow_up, {"q2": True})
    assert not is_enabled(follow_up, {"q2": False})
    assert not is_enabled(follow_up, {})


def test_enable_when_compares_codes_and_numbers_and_honours_any():
    rules = [
        {"question": "mood", "operator": "=", "answerCoding": {"code": "low"}},
        {"question": "score", "operator": ">=", "answerInteger": 10},
    ]
    raw = {"linkId": "x", "type": "string", "enableWhen": rules, "enableBehavior": "any"}
    item = questionnaire_with(raw).item("x")
    assert is_enabled(item, {"mood": "low", "score": 0})
    assert is_enabled(item, {"mood": "ok", "score": 10})
    assert not is_enabled(item, {"mood": "ok", "score": 9})


@pytest.mark.parametrize("expression", ["%resource.item.where(linkId = ", "1 +", "a b c", ")"])
def test_it_rejects_broken_fhirpath(expression):
    with pytest.raises(QuestionnaireError):
        check_fhirpath(expression)


def test_calculated_expressions_see_answer_weights_through_weight():
    parsed = questionnaire_with(
        choice_item("a", weighted("x", 2)),
        {"linkId": "g", "type": "group", "item": [choice_item("b", weighted("y", 0.5))]},
        calculated(
            "total",
            "%resource.repeat(item).where(linkId in ('a' | 'b')).answer.value.weight().sum()",
        ),
        calculated("double", "%resource.item.where(linkId = 'total').answer.value * 2"),
    )
    answers = response(
        answered("a", {"valueCoding": {"code": "x"}}),
        {"linkId": "g", "item": [answered("b", {"valueCoding": {"code": "y"}})]},
    )
    assert calculate(parsed, answers) == {"total": Decimal("2.5"), "double": 5}
    assert "extension" not in answers["item"][0]["answer"][0]["valueCoding"]  # left untouched


def test_a_failing_expression_names_its_item():
    parsed = questionnaire_with(calculated("total", "%resource.item.noSuchFunction()"))
    with pytest.raises(QuestionnaireError, match="item total"):
        calculate(parsed, response())
