"""Change between a baseline and a later score, worked by hand from reference/instruments.md."""

import pytest

from kapcare.measures.scoring import DefinitionError, assess_change, score, shipped_definition
from kapcare.measures.tests.responses import answers_for

# Item scores giving each PHQ-9 total, item 9 at 0.
PHQ_9 = {
    20: [3, 3, 3, 3, 3, 3, 2, 0, 0],
    14: [2, 2, 2, 2, 2, 2, 2, 0, 0],
    10: [2, 2, 2, 2, 1, 1, 0, 0, 0],
    9: [2, 2, 2, 2, 1, 0, 0, 0, 0],
    4: [1, 1, 1, 1, 0, 0, 0, 0, 0],
    26: [3, 3, 3, 3, 3, 3, 3, 3, 2],
}


def phq_9_change(baseline, latest, **kwargs):
    definition = shipped_definition("phq-9")
    first = score(definition, answers_for(definition, PHQ_9[baseline]))
    last = score(definition, answers_for(definition, PHQ_9[latest]))
    return assess_change(definition, first, last, **kwargs)


def test_phq_9_from_20_to_9_is_a_response_and_iapt_reliable_improvement_but_not_remission():
    change = phq_9_change(20, 9)
    assert (change.change, change.improvement, change.percent_change) == (-11, 11, -55.0)
    assert change.response.met  # a drop of 55% >= 50%
    assert not change.remission.met  # 9 is not below 5
    # With no SD set the Jacobson–Truax methods cannot apply; the IAPT rule is the headline.
    assert change.reliable_change.method == "threshold"
    assert change.reliable_change.reliable and change.reliable_change.direction == "improved"
    assert change.outcome == "recovered"  # reliable, and from a case (>9) to not a case


def test_phq_9_from_10_to_4_is_remission_and_response():
    change = phq_9_change(10, 4)
    assert change.response.met and change.remission.met
    assert change.outcome == "recovered"


def test_phq_9_a_drop_just_short_of_half_is_not_a_response():
    change = phq_9_change(20, 14)  # 30% drop
    assert not change.response.met
    assert change.reliable_change.reliable  # a drop of 6 meets the IAPT rule
    assert change.outcome == "improved"  # still a case at 14


def test_minimal_important_change_rules_are_reported_with_their_source():
    change = phq_9_change(14, 10)
    five_points, twenty_percent = change.minimal_important_change
    assert not five_points.met and "Löwe 2004" in five_points.source
    assert twenty_percent.met and "Kounali" in twenty_percent.source  # 4/14 = 29%


def test_jacobson_truax_with_a_clinic_sd_matches_the_worked_example():
    # instruments.md §7: SD 5.0 and r 0.84 give S_diff 2.83, so 6 points are reliable.
    change = phq_9_change(20, 14, sd=5.0)
    jt = change.reliable_change
    assert (jt.method, jt.threshold) == ("jacobson-truax", 6)
    assert jt.index == pytest.approx(-6 / 2.828, abs=0.01)
    assert jt.reliable and jt.unverified  # r = 0.84 is marked unverified
    r_0737 = change.reliable_changes[1]
    assert "0.737" in r_0737.label and not r_0737.unverified


def test_jacobson_truax_with_sd_6_needs_7_points():
    # instruments.md §7: SD 6.0 and r 0.84 give 6.65, so 7 points.
    change = phq_9_change(20, 14, sd=6.0)
    assert change.reliable_change.threshold == 7
    assert not change.reliable_change.reliable
    assert change.outcome == "unchanged"


def test_reliable_worsening_is_deterioration():
    change = phq_9_change(14, 26, sd=5.0)
    assert change.reliable_change.direction == "deteriorated"
    assert change.outcome == "deteriorated"
    iapt = change.reliable_changes[-1]
    assert (iapt.reliable, iapt.direction) == (False, "not-judged")  # it defines improvement only


def test_worsening_judged_only_by_an_improvement_rule_has_no_outcome():
    change = phq_9_change(14, 26)  # no SD set, so the IAPT rule is the headline
    assert change.reliable_change.direction == "not-judged"
    assert change.outcome is None


def gad_7_change(first_items, last_items, **kwargs):
    definition = shipped_definition("gad-7")
    first = score(definition, answers_for(definition, first_items))
    last = score(definition, answers_for(definition, last_items))
    return assess_change(definition, first, last, **kwargs)


def test_gad_7_uses_the_published_rci_of_5_59_out_of_the_box():
    change = gad_7_change([3, 3, 3, 3, 3, 0, 0], [2, 2, 1, 1, 1, 0, 0])  # 15 -> 7
    jt = change.reliable_change
    assert (jt.method, jt.threshold, jt.reliable) == ("jacobson-truax", 6, True)
    assert "Bischoff" in jt.source
    assert change.outcome == "recovered"  # IAPT caseness is >7


def test_gad_7_a_drop_of_5_is_iapt_reliable_but_not_jacobson_truax_reliable():
    change = gad_7_change([3, 3, 3, 3, 3, 0, 0], [2, 2, 2, 2, 2, 0, 0])  # 15 -> 10
    jt, iapt = change.reliable_changes
    assert not jt.reliable and iapt.reliable


def test_gad_7_with_a_clinic_sd_matches_the_worked_example():
    # instruments.md §7: SD 5.0 and r 0.87 give S_diff 2.55, so 5.0 points.
    change = gad_7_change([3, 3, 3, 3, 3, 0, 0], [2, 2, 2, 2, 2, 0, 0], sd=5.0)
    assert change.reliable_change.threshold == 5
    assert change.reliable_change.reliable


def test_who_5_change_runs_upward_on_the_percentage_score():
    definition = shipped_definition("who-5")
    first = score(definition, answers_for(definition, [2, 2, 2, 2, 2]))  # 40%
    last = score(definition, answers_for(definition, [3, 3, 2, 2, 2]))  # 48%
    change = assess_change(definition, first, last)
    assert (change.score, change.improvement) == ("percentage", 8)
    assert not change.reliable_change.reliable
    better = score(definition, answers_for(definition, [3, 3, 3, 2, 2]))  # 52%
    assert assess_change(definition, first, better).reliable_change.direction == "improved"


def test_pcl_5_response_is_a_drop_of_5_points():
    definition = shipped_definition("pcl-5")
    first = score(definition, answers_for(definition, [2] * 20))  # 40
    last = score(definition, answers_for(definition, [2] * 15 + [1] * 5))  # 35
    change = assess_change(definition, first, last)
    assert change.response.met
    assert not change.minimal_important_change[0].met  # 10 points for clinically meaningful
    assert change.reliable_change is None and change.outcome is None


def test_madrs_remission_is_10_or_less_with_alternatives_on_show():
    definition = shipped_definition("madrs")
    first = score(definition, answers_for(definition, [4] * 10))
    last = score(definition, answers_for(definition, [1] * 10))
    change = assess_change(definition, first, last)
    assert change.response.met and change.remission.met
    alternatives = definition.data["change"]["remission"]["alternatives"]
    assert [a["value"] for a in alternatives] == [10, 9, 4, 12]


def test_a_zero_baseline_has_no_percent_change_and_no_percentage_response():
    change = phq_9_change(4, 4)
    assert change.percent_change == 0.0
    definition = shipped_definition("phq-9")
    zero = score(definition, answers_for(definition, [0] * 9))
    change = assess_change(definition, zero, zero)
    assert change.percent_change is None and not change.response.met


def test_phq_2_refuses_change_assessment_and_says_why():
    definition = shipped_definition("phq-2")
    result = score(definition, answers_for(definition, [1, 1]))
    with pytest.raises(DefinitionError, match="not intended for monitoring change"):
        assess_change(definition, result, result)


def test_scores_from_different_instruments_cannot_be_compared():
    phq_9 = shipped_definition("phq-9")
    gad_7 = shipped_definition("gad-7")
    first = score(phq_9, answers_for(phq_9, PHQ_9[10]))
    last = score(gad_7, answers_for(gad_7, [0] * 7))
    with pytest.raises(ValueError, match="different instruments"):
        assess_change(phq_9, first, last)
