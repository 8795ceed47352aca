import subprocess
import sys

from kapcare.evaluation import icd10


def test_the_code_set_is_built_once_into_a_cache_file_when_missing(settings, tmp_path):
    settings.ICD10_CACHE_DIR = tmp_path
    assert icd10.describe("F43.12") == "Post-traumatic stress disorder, chronic"
    files = list(tmp_path.iterdir())
    assert [f.name for f in files] == [icd10.cache_path().name]
    assert icd10.leaves_under("F33")[:2] == ["F33.0", "F33.1"]


def test_look_ups_answer_codes_with_or_without_the_dot():
    assert icd10.billable("f4310") == "F43.10"
    assert icd10.normalise(" f33 2 ") == "F33.2"
    assert icd10.describe("nonsense") == ""


def test_search_words_are_matched_literally_not_as_patterns():
    found = icd10.search("100%-200%")
    assert found and all("100%-200%" in description for _, description in found)
    assert icd10.search("f_3") == []
    assert "F42.2" in [code for code, _ in icd10.search("mixed obsessional")]


def test_a_web_or_worker_process_does_not_load_the_code_set_into_memory():
    """The library keeps the whole tree in memory (about 170 MB); look-ups read the cache instead."""
    probe = (
        "import django, sys; django.setup();"
        "from kapcare.evaluation import icd10; icd10.billable('F33.2'); icd10.search('ptsd');"
        "print('simple_icd_10_cm' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "kapcare.settings"},
    )
    assert done.stdout.strip() == "False"
