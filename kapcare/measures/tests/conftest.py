import sys
from pathlib import Path

import pytest

# Lets `pytest kapcare/measures/tests` import kapcare.measures from any working directory.
ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def instruments(clinic):
    from kapcare.measures.models import install_shipped

    return {i.name: i for i in install_shipped(clinic)}


@pytest.fixture
def phq9(instruments):
    return instruments["phq-9"]


@pytest.fixture
def gad7(instruments):
    return instruments["gad-7"]


def phq9_answers(scores: list[int]) -> dict:
    """PHQ-9 answers by the item scores a clinician means (item 1 first)."""
    from kapcare.measures.scoring import shipped_definition
    from kapcare.measures.tests.responses import answers_for

    return answers_for(shipped_definition("phq-9"), scores)
