"""The shipped instruments: what is in them, where each number comes from, and what is not."""

import json

import pytest

from kapcare.measures.questionnaires import load_questionnaire
from kapcare.measures.scoring import INSTRUMENTS, shipped_definition, shipped_instruments

WITH_TEXT = ["audit-c", "gad-7", "pcl-5", "phq-15", "phq-2", "phq-9", "who-5"]
WITHOUT_TEXT = ["c-ssrs-screener", "cadss", "dast-10", "madrs", "qids-sr16", "y-bocs"]

# Panel and total codes from reference/instruments.md.
LOINC = {
    "phq-9": ("44249-1", "44261-6"),
    "phq-2": ("55757-9", "55758-7"),
    "gad-7": ("69737-5", "70274-6"),
    "phq-15": ("69728-4", "70273-8"),
    "pcl-5": ("101697-1", "101698-9"),
    "audit-c": ("72109-2", "75626-2"),
    "dast-10": ("82666-9", "82667-7"),
}


def test_every_instrument_the_issue_names_is_shipped():
    assert shipped_instruments() == sorted(WITH_TEXT + WITHOUT_TEXT)


@pytest.mark.parametrize("name", WITH_TEXT)
def test_instruments_whose_licence_allows_it_ship_item_text_and_the_copyright_notice(name):
    definition = shipped_definition(name)
    questionnaire = definition.questionnaire
    assert definition.data["item_text_shipped"] and definition.data["licence"]["ship_item_text"]
    assert questionnaire.copyright
    assert questionnaire.report.is_clean
    assert all(questionnaire.item(i.answer_key).text for i in definition.items)


@pytest.mark.parametrize("name", WITHOUT_TEXT)
def test_licensed_instruments_ship_a_scoring_definition_with_no_item_text(name):
    definition = shipped_definition(name)
    assert definition.questionnaire is None
    assert not definition.data["item_text_shipped"]
    assert not (INSTRUMENTS / f"{name}.questionnaire.json").exists()
    assert "text" not in json.dumps(definition.data["items"])


def test_no_questionnaire_file_ships_without_its_definition():
    for path in INSTRUMENTS.glob("*.questionnaire.json"):
        name = path.name.removesuffix(".questionnaire.json")
        assert shipped_definition(name).data["questionnaire"] == path.name


@pytest.mark.parametrize("name, codes", LOINC.items())
def test_loinc_panel_and_total_codes_are_the_ones_in_instruments_md(name, codes):
    loinc = shipped_definition(name).data["loinc"]
    assert (loinc["panel"]["code"], loinc["total"]["code"]) == codes


@pytest.mark.parametrize("name", [n for n in WITH_TEXT if n in LOINC])
def test_the_questionnaire_carries_the_panel_code_and_a_coded_total(name):
    panel, total = LOINC[name]
    questionnaire = shipped_definition(name).questionnaire
    assert questionnaire.has_code(panel)
    assert questionnaire.item_with_code(total).calculated_expression


def test_codes_seen_only_on_mirrors_are_marked_unverified():
    unverified = "\n".join(
        line for name in shipped_instruments() for line in shipped_definition(name).unverified()
    )
    for fact in ["gad-7.loinc.panel", "pcl-5.loinc.panel", "pcl-5.loinc.total"]:
        assert fact in unverified
    assert "c-ssrs-screener.loinc.panel" in unverified
    assert "phq-9.change.reliable_change[0]" in unverified  # r = 0.84, not in the retrieved text


def numbers_without_a_source(node, path="", inherited=False):
    """Paths of clinical numbers (bands, thresholds, weights) with no source in reach."""
    if isinstance(node, dict):
        sourced = inherited or any(key.startswith("source") for key in node)
        for key, value in node.items():
            yield from numbers_without_a_source(value, f"{path}.{key}", sourced)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from numbers_without_a_source(value, f"{path}[{index}]", inherited)
    elif isinstance(node, int | float) and not isinstance(node, bool) and not inherited:
        yield path


@pytest.mark.parametrize("name", WITH_TEXT + WITHOUT_TEXT)
def test_every_number_in_a_definition_cites_its_source(name):
    data = shipped_definition(name).data
    clinical = {
        k: data[k] for k in ("scores", "bands", "flags", "rules", "change", "answer_sets") if data.get(k)
    }
    assert list(numbers_without_a_source(clinical)) == []


@pytest.mark.parametrize("name", WITH_TEXT)
def test_shipped_questionnaires_give_the_total_range_the_definition_documents(name):
    definition = shipped_definition(name)
    declared = next(s for s in definition.data["scores"] if s["id"] == "total")
    assert definition.score_range("total") == (declared["min"], declared["max"])


def test_the_phq_9_questionnaire_uses_the_us_core_link_ids_and_answer_codes():
    questionnaire = load_questionnaire(INSTRUMENTS / "phq-9.questionnaire.json")
    item_9 = questionnaire.item("/44260-8")
    assert [o.code for o in item_9.options] == ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    assert [o.weight for o in item_9.options] == [0, 1, 2, 3]


@pytest.mark.parametrize("name", WITH_TEXT)
def test_shipped_questionnaires_are_valid_fhir(name):
    from fhir.resources.R4B.questionnaire import Questionnaire

    resource = json.loads((INSTRUMENTS / f"{name}.questionnaire.json").read_text())
    assert Questionnaire.model_validate(resource).id == name
