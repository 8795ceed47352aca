"""An imported Questionnaire is never refused or silently trimmed: the report says what was not
understood, item by item, and everything else is kept."""

from pathlib import Path

import pytest

from kapcare.measures.questionnaires import load_questionnaire

FIXTURES = Path(__file__).with_name("fixtures")


@pytest.fixture(scope="module")
def surprises():
    return load_questionnaire(FIXTURES / "surprises.questionnaire.json")


def kinds(report, link_id):
    return [issue.kind for issue in report.for_item(link_id)]


def test_every_item_is_kept_even_the_ones_it_cannot_handle(surprises):
    link_ids = [item.link_id for item in surprises.walk()]
    assert "photo" in link_ids and "modifier" in link_ids
    assert link_ids.count("twice") == 2
    assert len(link_ids) == 15


@pytest.mark.parametrize(
    "link_id, kind",
    [
        ("unknown-extension", "unknown-extension"),
        ("sdc-not-applied", "unknown-extension"),
        ("modifier", "unknown-modifier"),
        ("photo", "unsupported-type"),
        ("partial-weights", "partial-weights"),
        ("external-value-set", "unresolved-value-set"),
        ("bad-expression", "bad-expression"),
        ("cql-expression", "unsupported-expression"),
        ("orphan-enable-when", "unknown-enable-when"),
        ("twice", "duplicate-link-id"),
    ],
)
def test_it_reports_what_it_could_not_understand_item_by_item(surprises, link_id, kind):
    assert kind in kinds(surprises.report, link_id)


def test_unknown_extensions_on_the_questionnaire_itself_are_reported(surprises):
    messages = [str(issue) for issue in surprises.report.for_item(None)]
    assert any("house-colour" in m for m in messages)
    assert any("launchContext" in m and "not applied" in m for m in messages)
    assert any("no linkId" in m for m in messages)


def test_an_sdc_extension_it_does_not_run_is_named_as_such(surprises):
    [issue] = surprises.report.for_item("sdc-not-applied")
    assert "initialExpression" in issue.message and "not applied" in issue.message


def test_options_without_weights_are_a_note_not_a_warning(surprises):
    [issue] = surprises.report.for_item("no-weights")
    assert (issue.kind, issue.severity) == ("missing-weights", "note")


def test_what_it_understood_raises_nothing(surprises):
    assert surprises.report.for_item("weighted-by-value-set") == []
    assert surprises.report.for_item("integer-options") == []
    assert [o.weight for o in surprises.item("weighted-by-value-set").options] == [2, 0]


def test_a_broken_expression_is_dropped_not_evaluated(surprises):
    assert surprises.item("bad-expression").calculated_expression is None
    assert not surprises.report.is_clean


def test_the_report_reads_as_one_line_per_problem(surprises):
    lines = str(surprises.report).splitlines()
    assert len(lines) == len(surprises.report.issues)
    assert "item photo: item type 'attachment' is not supported" in "\n".join(lines)
