"""Properties that hold for every answer combination of every shipped instrument."""

from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kapcare.measures.scoring import score, shipped_definition, shipped_instruments
from kapcare.measures.tests.responses import answers_for

WITH_TOTAL = [n for n in shipped_instruments() if "total" in shipped_definition(n).score_ids]
SEXES = ["male", "female", None]


def item_score_choices(item):
    return sorted({item.score_answer(a) for a in item.allowed_answers()})


def item_scores(definition):
    """Any item scores the instrument allows; optional items may be left blank."""
    per_item = []
    for item in definition.items:
        choices = st.sampled_from(item_score_choices(item))
        per_item.append(st.one_of(st.none(), choices) if item.optional else choices)
    return st.tuples(*per_item).map(list)


def band_list(definition, sex):
    bands = definition.data["bands"]
    if "variants" in bands:
        return bands["variants"].get(sex) or bands["variants"][bands["when_unknown"]]
    return bands["ranges"]


def band_rank(definition, result, sex):
    return [b["code"] for b in band_list(definition, sex)].index(result.band.code)


@st.composite
def instrument_and_answers(draw, names=WITH_TOTAL):
    definition = shipped_definition(draw(st.sampled_from(names)))
    return definition, draw(item_scores(definition)), draw(st.sampled_from(SEXES))


@settings(max_examples=400, deadline=None)
@given(case=instrument_and_answers())
def test_every_score_stays_within_its_documented_range(case):
    definition, scores, sex = case
    result = score(definition, answers_for(definition, scores), context={"sex": sex})
    for score_id in definition.score_ids:
        low, high = definition.score_range(score_id)
        value = result.score(score_id)
        assert value is None or low <= value <= high


@settings(max_examples=400, deadline=None)
@given(case=instrument_and_answers([n for n in WITH_TOTAL if shipped_definition(n).data["bands"]]))
def test_the_band_always_contains_the_total(case):
    definition, scores, sex = case
    result = score(definition, answers_for(definition, scores), context={"sex": sex})
    assert result.band.min <= result.total <= result.band.max


@settings(max_examples=400, deadline=None)
@given(case=instrument_and_answers(), data=st.data())
def test_a_worse_answer_never_lowers_the_total_or_the_band(case, data):
    definition, scores, sex = case
    raisable = [
        i
        for i, (item, value) in enumerate(zip(definition.items, scores, strict=True))
        if value is not None and value < item.max
    ]
    if not raisable:
        return
    index = data.draw(st.sampled_from(raisable))
    higher = [s for s in item_score_choices(definition.items[index]) if s > scores[index]]
    worse = [*scores[:index], data.draw(st.sampled_from(higher)), *scores[index + 1 :]]
    before = score(definition, answers_for(definition, scores), context={"sex": sex})
    after = score(definition, answers_for(definition, worse), context={"sex": sex})
    assert after.total >= before.total
    if not any(spec["method"] == "max" for spec in definition.data["scores"]):
        assert after.total > before.total  # only a highest-within-group score can absorb it
    if before.band:
        assert band_rank(definition, after, sex) >= band_rank(definition, before, sex)


def test_every_phq_2_combination_is_the_plain_sum():
    definition = shipped_definition("phq-2")
    for scores in product(range(4), repeat=2):
        result = score(definition, answers_for(definition, list(scores)))
        assert result.total == sum(scores)
        assert result.band.code == ("positive" if sum(scores) >= 3 else "negative")


def test_every_audit_c_combination_for_every_sex():
    definition = shipped_definition("audit-c")
    cut_off = {"male": 4, "female": 3, None: 3}
    for scores in product(range(5), repeat=3):
        for sex in SEXES:
            result = score(definition, answers_for(definition, list(scores)), context={"sex": sex})
            assert result.total == sum(scores)
            assert (result.band.code == "positive") == (sum(scores) >= cut_off[sex])


def test_every_dast_10_combination_counts_yes_except_item_3():
    definition = shipped_definition("dast-10")
    for answers in product([True, False], repeat=10):
        result = score(definition, {f"dast-10/{n}": a for n, a in enumerate(answers, 1)})
        expected = sum(answers) - answers[2] + (not answers[2])
        assert result.total == expected


RISK = ["none", "low", "moderate", "high"]


def c_ssrs_level(yes):
    definition = shipped_definition("c-ssrs-screener")
    answers = {item.link_id: said for item, said in zip(definition.items, yes, strict=True)}
    return RISK.index(score(definition, answers).band.code)


def test_saying_yes_to_one_more_c_ssrs_question_never_lowers_the_risk_level():
    for yes in product([False, True], repeat=7):
        level = c_ssrs_level(yes)
        for index in (i for i, said in enumerate(yes) if not said):
            one_more = [*yes[:index], True, *yes[index + 1 :]]
            assert c_ssrs_level(one_more) >= level


@pytest.mark.parametrize("name", WITH_TOTAL)
def test_all_lowest_and_all_highest_answers_reach_the_ends_of_the_range(name):
    definition = shipped_definition(name)
    lowest = score(definition, answers_for(definition, [i.min for i in definition.items]))
    highest = score(definition, answers_for(definition, [i.max for i in definition.items]))
    assert (lowest.total, highest.total) == definition.score_range("total")
