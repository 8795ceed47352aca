"""Hand-worked examples on both sides of every band edge of every shipped instrument.

Each row gives the item scores a clinician would add up by hand, the total they would get, and
the band instruments.md puts that total in.
"""

import pytest

from kapcare.measures.scoring import score, shipped_definition
from kapcare.measures.tests.responses import answers_for


def scored(instrument, item_scores, **kwargs):
    definition = shipped_definition(instrument)
    return score(definition, answers_for(definition, item_scores), **kwargs)


@pytest.mark.parametrize(
    "item_scores, total, band",
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
        ([1, 1, 1, 1, 1, 1, 1, 1, 1], 9, "mild"),
        ([2, 2, 2, 2, 1, 1, 0, 0, 0], 10, "moderate"),
        ([2, 2, 2, 2, 2, 2, 2, 0, 0], 14, "moderate"),
        ([3, 2, 2, 2, 2, 2, 2, 0, 0], 15, "moderately-severe"),
        ([3, 3, 3, 3, 3, 2, 2, 0, 0], 19, "moderately-severe"),
        ([3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe"),
        ([3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "severe"),
    ],
)
def test_phq_9_band_edges(item_scores, total, band):
    result = scored("phq-9", item_scores)
    assert (result.total, result.band.code) == (total, band)


@pytest.mark.parametrize(
    "item_scores, total, band",
    [([0, 0], 0, "negative"), ([1, 1], 2, "negative"), ([2, 1], 3, "positive"), ([3, 3], 6, "positive")],
)
def test_phq_2_band_edges(item_scores, total, band):
    result = scored("phq-2", item_scores)
    assert (result.total, result.band.code) == (total, band)


@pytest.mark.parametrize(
    "item_scores, total, band",
    [
        ([0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
        ([1, 1, 1, 1, 0, 0, 0], 4, "minimal"),
        ([1, 1, 1, 1, 1, 0, 0], 5, "mild"),
        ([2, 2, 2, 2, 1, 0, 0], 9, "mild"),
        ([2, 2, 2, 2, 2, 0, 0], 10, "moderate"),
        ([2, 2, 2, 2, 2, 2, 2], 14, "moderate"),
        ([3, 2, 2, 2, 2, 2, 2], 15, "severe"),
        ([3, 3, 3, 3, 3, 3, 3], 21, "severe"),
    ],
)
def test_gad_7_band_edges(item_scores, total, band):
    result = scored("gad-7", item_scores)
    assert (result.total, result.band.code) == (total, band)


@pytest.mark.parametrize(
    "item_scores, total, band",
    [
        ([0] * 15, 0, "minimal"),
        ([2, 2] + [0] * 13, 4, "minimal"),
        ([2, 2, 1] + [0] * 12, 5, "low"),
        ([2, 2, 2, 2, 1] + [0] * 10, 9, "low"),
        ([2] * 5 + [0] * 10, 10, "medium"),
        ([2] * 7 + [0] * 8, 14, "medium"),
        ([2] * 7 + [1] + [0] * 7, 15, "high"),
        ([2] * 15, 30, "high"),
    ],
)
def test_phq_15_band_edges(item_scores, total, band):
    result = scored("phq-15", item_scores)
    assert (result.total, result.band.code) == (total, band)


@pytest.mark.parametrize(
    "item_scores, total, band",
    [
        ([0] * 20, 0, "below-cut-off"),
        ([4] * 7 + [2] + [0] * 12, 30, "below-cut-off"),
        ([4] * 7 + [3] + [0] * 12, 31, "within-cut-off-range"),
        ([4] * 8 + [0] * 12, 32, "within-cut-off-range"),
        ([4] * 8 + [1] + [0] * 11, 33, "probable-ptsd"),
        ([4] * 20, 80, "probable-ptsd"),
    ],
)
def test_pcl_5_band_edges(item_scores, total, band):
    result = scored("pcl-5", item_scores)
    assert (result.total, result.band.code) == (total, band)


@pytest.mark.parametrize(
    "item_scores, sex, total, band",
    [
        ([0, 0, 0], "male", 0, "negative"),
        ([2, 1, 0], "male", 3, "negative"),
        ([2, 1, 1], "male", 4, "positive"),
        ([4, 4, 4], "male", 12, "positive"),
        ([0, 0, 0], "female", 0, "negative"),
        ([2, 0, 0], "female", 2, "negative"),
        ([2, 1, 0], "female", 3, "positive"),
        ([4, 4, 4], "female", 12, "positive"),
        # Sex not recorded: the definition says to use the women's, more sensitive, threshold.
        ([2, 0, 0], None, 2, "negative"),
        ([2, 1, 0], None, 3, "positive"),
    ],
)
def test_audit_c_band_edges_depend_on_sex(item_scores, sex, total, band):
    result = scored("audit-c", item_scores, context={"sex": sex})
    assert (result.total, result.band.code) == (total, band)


@pytest.mark.parametrize(
    "item_scores, total, percentage, band",
    [
        ([0, 0, 0, 0, 0], 0, 0, "poor"),
        ([3, 3, 2, 2, 2], 12, 48, "poor"),
        ([3, 3, 3, 2, 2], 13, 52, "not-poor"),
        ([5, 5, 5, 5, 5], 25, 100, "not-poor"),
    ],
)
def test_who_5_band_edges(item_scores, total, percentage, band):
    result = scored("who-5", item_scores)
    assert (result.total, result.subscales["percentage"], result.band.code) == (
        total,
        percentage,
        band,
    )


YES, NO = "LA33-6", "LA32-8"


@pytest.mark.parametrize(
    "answers, total, band",
    [
        # Item 3 is reversed: "no" scores 1 there.
        ([NO, NO, YES, NO, NO, NO, NO, NO, NO, NO], 0, "none"),
        ([YES, NO, YES, NO, NO, NO, NO, NO, NO, NO], 1, "low"),
        ([NO, NO, NO, YES, NO, NO, NO, NO, NO, NO], 2, "low"),
        ([YES, YES, NO, NO, NO, NO, NO, NO, NO, NO], 3, "moderate"),
        ([YES, YES, YES, YES, YES, YES, NO, NO, NO, NO], 5, "moderate"),
        ([YES, YES, NO, YES, YES, YES, NO, NO, NO, NO], 6, "substantial"),
        ([YES, YES, YES, YES, YES, YES, YES, YES, YES, NO], 8, "substantial"),
        ([YES, YES, NO, YES, YES, YES, YES, YES, YES, NO], 9, "severe"),
        ([YES, YES, NO, YES, YES, YES, YES, YES, YES, YES], 10, "severe"),
    ],
)
def test_dast_10_band_edges_with_item_3_reversed(answers, total, band):
    definition = shipped_definition("dast-10")
    result = score(definition, {f"dast-10/{n}": a for n, a in enumerate(answers, 1)})
    assert (result.total, result.band.code) == (total, band)


@pytest.mark.parametrize(
    "item_scores, total, band",
    [
        ([0] * 10, 0, "subclinical"),
        ([4, 3] + [0] * 8, 7, "subclinical"),
        ([4, 4] + [0] * 8, 8, "mild"),
        ([4, 4, 4, 3] + [0] * 6, 15, "mild"),
        ([4] * 4 + [0] * 6, 16, "moderate"),
        ([4] * 5 + [3] + [0] * 4, 23, "moderate"),
        ([4] * 6 + [0] * 4, 24, "severe"),
        ([4] * 7 + [3] + [0] * 2, 31, "severe"),
        ([4] * 8 + [0] * 2, 32, "extreme"),
        ([4] * 10, 40, "extreme"),
    ],
)
def test_y_bocs_band_edges(item_scores, total, band):
    result = scored("y-bocs", item_scores)
    assert (result.total, result.band.code) == (total, band)


@pytest.mark.parametrize(
    "item_scores, total, band",
    [
        # items:  sleep 1-4 | 5 | appetite/weight 6-9 | 10 11 12 13 14 | psychomotor 15-16
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "none"),
        # The sleep group counts once, at its highest: 3 + 2 = 5, not 3 + 3 + 2 + 2.
        ([3, 3, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 5, "none"),
        ([3, 3, 2, 0, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 6, "mild"),
        ([3, 0, 0, 0, 2, 3, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], 10, "mild"),
        ([3, 0, 0, 0, 2, 3, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0], 11, "moderate"),
        ([3, 0, 0, 0, 3, 3, 0, 0, 0, 3, 0, 0, 0, 0, 3, 0], 15, "moderate"),
        ([3, 0, 0, 0, 3, 3, 0, 0, 0, 3, 1, 0, 0, 0, 3, 0], 16, "severe"),
        ([3, 0, 0, 0, 3, 3, 0, 0, 0, 3, 3, 0, 0, 2, 0, 3], 20, "severe"),
        ([3, 0, 0, 0, 3, 3, 0, 0, 0, 3, 3, 0, 0, 3, 0, 3], 21, "very-severe"),
        ([3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "very-severe"),
    ],
)
def test_qids_sr16_band_edges(item_scores, total, band):
    result = scored("qids-sr16", item_scores)
    assert (result.total, result.band.code) == (total, band)


@pytest.mark.parametrize(
    "item_scores, total, band",
    [
        ([0] * 10, 0, "normal"),
        ([6] + [0] * 9, 6, "normal"),
        ([6, 1] + [0] * 8, 7, "mild"),
        ([6, 6, 6, 1] + [0] * 6, 19, "mild"),
        ([6, 6, 6, 2] + [0] * 6, 20, "moderate"),
        ([6] * 5 + [4] + [0] * 4, 34, "moderate"),
        ([6] * 5 + [5] + [0] * 4, 35, "severe"),
        ([6] * 10, 60, "severe"),
    ],
)
def test_madrs_band_edges(item_scores, total, band):
    result = scored("madrs", item_scores)
    assert (result.total, result.band.code) == (total, band)


@pytest.mark.parametrize(
    "yes_to, band",
    [
        (set(), "none"),
        ({1}, "low"),
        ({1, 2}, "low"),
        ({2, 3}, "moderate"),
        ({6}, "moderate"),  # behaviour, but not in the past 3 months
        ({2, 4}, "high"),
        ({2, 5}, "high"),
        ({6, "6b"}, "high"),
    ],
)
def test_c_ssrs_screener_risk_levels(yes_to, band):
    definition = shipped_definition("c-ssrs-screener")
    order = [1, 2, 3, 4, 5, 6, "6b"]
    answers = {item.link_id: n in yes_to for item, n in zip(definition.items, order, strict=True)}
    result = score(definition, answers)
    assert result.total is None
    assert result.band.code == band
    assert result.is_urgent == (band == "high")


def test_cadss_has_no_bands_but_a_total_and_the_cadss_6_subscale():
    items = [4] * 23
    result = scored("cadss", items)
    assert (result.total, result.subscales["cadss-6"], result.band) == (92, 24, None)
    only_cadss_6 = [1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    assert scored("cadss", only_cadss_6).subscales["cadss-6"] == 6
