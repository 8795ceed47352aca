import json
import shutil

import pytest

from kapcare.measures.questionnaires import parse_questionnaire
from kapcare.measures.scoring import (
    INSTRUMENTS,
    DefinitionError,
    ScoringError,
    definition_for,
    load_definition,
    score,
    score_response,
    shipped_definition,
)
from kapcare.measures.tests.responses import answers_for
from tests.conformance import US_CORE


def phq_9():
    return shipped_definition("phq-9")


def test_the_us_core_phq_9_example_response_scores_12():
    response = json.loads((US_CORE / "QuestionnaireResponse-phq-9-example.json").read_text())
    result = score_response(phq_9(), response)
    assert result.total == 12
    assert result.band.code == "moderate"
    assert result.flags == ()
    assert result.item_scores["/44250-9"] == 2


def test_item_9_above_zero_raises_an_urgent_suicide_risk_flag_whatever_the_total():
    result = score(phq_9(), answers_for(phq_9(), [0, 0, 0, 0, 0, 0, 0, 0, 1]))
    assert result.total == 1 and result.band.code == "minimal"
    [flag] = result.flags
    assert (flag.code, flag.level) == ("suicide-risk", "urgent")
    assert result.is_urgent


def test_item_9_at_zero_raises_no_flag():
    result = score(phq_9(), answers_for(phq_9(), [3, 3, 3, 3, 3, 3, 3, 3, 0]))
    assert result.flags == ()


def test_missing_and_wrong_answers_are_listed_item_by_item_and_nothing_is_scored():
    answers = answers_for(phq_9(), [1, 1, 1, 1, 1, 1, 1, 1, 1])
    del answers["/44251-7"]
    answers["/44252-5"] = "LA9999-9"
    answers["/44253-3"] = ["LA6568-5", "LA6569-3"]
    with pytest.raises(ScoringError) as raised:
        score(phq_9(), answers)
    problems = raised.value.by_item
    assert problems["/44251-7"] == ["an answer is required"]
    assert "'LA9999-9' is not an allowed answer" in problems["/44252-5"][0]
    assert problems["/44253-3"] == ["takes one answer, got 2"]
    assert len(problems) == 3


def test_whole_number_items_refuse_values_out_of_range_or_not_whole():
    madrs = shipped_definition("madrs")
    answers = {f"madrs/{n}": 0 for n in range(1, 11)}
    answers.update({"madrs/1": 7, "madrs/2": -1, "madrs/3": 2.5, "madrs/4": "3", "madrs/5": True})
    with pytest.raises(ScoringError) as raised:
        score(madrs, answers)
    problems = raised.value.by_item
    assert problems["madrs/1"] == ["7 is outside the range 0 to 6"]
    assert problems["madrs/2"] == ["-1 is outside the range 0 to 6"]
    assert set(problems) == {"madrs/1", "madrs/2", "madrs/3", "madrs/4", "madrs/5"}


def test_answers_may_be_codings_or_single_item_lists():
    answers = answers_for(phq_9(), [1] * 9)
    answers["/44250-9"] = {"system": "http://loinc.org", "code": "LA6571-9"}
    answers["/44255-8"] = ["LA6571-9"]
    assert score(phq_9(), answers).total == 13


def test_answers_to_items_outside_the_score_are_ignored():
    answers = answers_for(phq_9(), [1] * 9) | {"/69722-7": "LA6573-5", "/44261-6": 99}
    assert score(phq_9(), answers).total == 9


def test_phq_15_counts_the_menstrual_item_only_when_answered():
    phq_15 = shipped_definition("phq-15")
    unanswered = [2, 2, 2, None, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
    assert score(phq_15, answers_for(phq_15, unanswered)).total == 28
    with pytest.raises(ScoringError, match="/69675-7: an answer is required"):
        score(phq_15, answers_for(phq_15, [2, 2, 2, 2, None] + [2] * 10))


def test_pcl_5_reports_cluster_subscales():
    items = [1, 2, 3, 4, 0, 1, 2, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 0]
    result = score(shipped_definition("pcl-5"), answers_for(shipped_definition("pcl-5"), items))
    assert result.subscales == {"cluster-b": 10, "cluster-c": 3, "cluster-d": 4, "cluster-e": 20}
    assert result.total == 37


def pcl_5_provisional(items):
    pcl_5 = shipped_definition("pcl-5")
    [rule] = score(pcl_5, answers_for(pcl_5, items)).rules
    assert rule.code == "provisional-ptsd"
    return rule.met


def test_pcl_5_provisional_diagnosis_needs_1_b_1_c_2_d_and_2_e_items_at_2_or_more():
    #         B:1-5          C:6-7  D:8-14                 E:15-20
    exactly = [2, 0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0]
    assert pcl_5_provisional(exactly)


@pytest.mark.parametrize(
    "cluster_short",
    [
        [1, 1, 1, 1, 1, 2, 0, 2, 2, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0],  # no B item at 2
        [2, 0, 0, 0, 0, 1, 1, 2, 2, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0],  # no C item at 2
        [2, 0, 0, 0, 0, 2, 0, 2, 1, 1, 1, 1, 1, 1, 2, 2, 0, 0, 0, 0],  # one D item only
        [2, 0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0, 0, 4, 1, 1, 1, 1, 1],  # one E item only
    ],
)
def test_pcl_5_provisional_diagnosis_fails_when_any_cluster_falls_short(cluster_short):
    assert not pcl_5_provisional(cluster_short)


def test_a_high_total_alone_does_not_give_a_provisional_pcl_5_diagnosis():
    # Clusters B, C and D at the maximum, no E item at 2: a total of 62 but no diagnosis.
    assert not pcl_5_provisional([4] * 14 + [1] * 6)


def test_c_ssrs_follow_ups_are_not_required_when_q2_is_no_and_extra_answers_are_ignored():
    c_ssrs = shipped_definition("c-ssrs-screener")
    answers = {"/93246-7": "LA33-6", "/93247-5": "LA32-8", "/93267-3": "LA32-8"}
    assert score(c_ssrs, answers).band.code == "low"
    # Some forms send all follow-ups anyway (the HL7 behavioural-health example does).
    answers |= {"/93248-3": "LA32-8", "/93249-1": "LA33-6", "/93250-9": "LA32-8"}
    assert score(c_ssrs, answers).band.code == "low"


def test_c_ssrs_follow_ups_are_required_when_q2_is_yes():
    c_ssrs = shipped_definition("c-ssrs-screener")
    with pytest.raises(ScoringError) as raised:
        score(c_ssrs, {"/93246-7": True, "/93247-5": True, "/93267-3": True})
    assert set(raised.value.by_item) == {"/93248-3", "/93249-1", "/93250-9", "/93269-9"}


def test_audit_c_notes_when_all_points_come_from_question_1():
    audit_c = shipped_definition("audit-c")
    [rule] = score(audit_c, answers_for(audit_c, [4, 0, 0])).rules
    assert rule.met
    [rule] = score(audit_c, answers_for(audit_c, [4, 1, 0])).rules
    assert not rule.met


def test_who_5_flags_any_item_scored_0_or_1_even_with_a_good_total():
    who_5 = shipped_definition("who-5")
    result = score(who_5, answers_for(who_5, [5, 5, 5, 5, 1]))
    assert result.total == 21
    assert [f.code for f in result.flags] == ["low-item"]


def test_qids_item_12_flag_is_marked_unverified():
    qids = shipped_definition("qids-sr16")
    items = [0] * 11 + [1] + [0] * 4
    [flag] = score(qids, answers_for(qids, items)).flags
    assert flag.code == "suicide-risk" and flag.unverified


def test_dast_10_takes_yes_and_no_as_booleans_too():
    dast = shipped_definition("dast-10")
    answers = {f"dast-10/{n}": False for n in range(1, 11)}
    assert score(dast, answers).total == 1  # item 3: "no" scores 1


ITEMS = ["/44250-9", "/44255-8"]


def write_definition(tmp_path, **changes):
    """A copy of the PHQ-2 definition with some parts replaced, to test what loading refuses."""
    data = json.loads((INSTRUMENTS / "phq-2.scoring.json").read_text())
    data.update(changes)
    shutil.copy(INSTRUMENTS / "phq-2.questionnaire.json", tmp_path)
    path = tmp_path / "phq-2.scoring.json"
    path.write_text(json.dumps(data))
    return path


def test_a_definition_whose_bands_leave_a_gap_is_refused(tmp_path):
    ranges = [
        {"code": "low", "label": "Low", "min": 0, "max": 2},
        {"code": "high", "label": "High", "min": 4, "max": 6},
    ]
    bands = {"score": "total", "source": "test", "ranges": ranges}
    with pytest.raises(DefinitionError, match="gap or overlap at 2-4"):
        load_definition(write_definition(tmp_path, bands=bands))


def test_a_definition_whose_declared_range_disagrees_with_its_items_is_refused(tmp_path):
    scores = [{"id": "total", "method": "sum", "items": ITEMS, "min": 0, "max": 9}]
    with pytest.raises(DefinitionError, match="declared 0-9 but its items give 0-6"):
        load_definition(write_definition(tmp_path, scores=scores))


def test_a_definition_naming_an_unknown_item_is_refused(tmp_path):
    when = {"item": "/nope", "op": ">", "value": 0}
    flags = [{"code": "x", "label": "X", "level": "info", "source": "test", "when": when}]
    with pytest.raises(DefinitionError, match="x names unknown item /nope"):
        load_definition(write_definition(tmp_path, flags=flags))


def test_a_definition_whose_bands_follow_an_unknown_score_is_refused(tmp_path):
    bands = {"score": "average", "source": "test", "ranges": []}
    with pytest.raises(DefinitionError, match="bands names unknown score average"):
        load_definition(write_definition(tmp_path, bands=bands))


def test_a_whole_number_item_refuses_yes_and_no():
    madrs = shipped_definition("madrs")
    with pytest.raises(ScoringError, match="True is not a whole number from 0 to 6"):
        score(madrs, {f"madrs/{n}": True if n == 1 else 0 for n in range(1, 11)})


def test_an_import_of_a_shipped_questionnaire_is_recognised_by_its_canonical_url():
    who_5 = shipped_definition("who-5")  # WHO-5 has no LOINC code to go by
    copy = parse_questionnaire(dict(who_5.questionnaire.resource, id="imported-copy"))
    assert definition_for(copy).instrument == "who-5"


def test_mean_scores_are_exact(tmp_path):
    scores = [
        {"id": "total", "method": "sum", "items": ITEMS, "min": 0, "max": 6},
        {"id": "average", "method": "mean", "items": ITEMS, "min": 0, "max": 3},
    ]
    definition = load_definition(write_definition(tmp_path, scores=scores))
    assert score(definition, answers_for(definition, [1, 2])).subscales["average"] == pytest.approx(1.5)
    assert score(definition, answers_for(definition, [1, 3])).subscales["average"] == 2
