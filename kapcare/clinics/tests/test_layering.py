"""design.md: dependencies point down the journey; fhir, portal and website sit on top and nothing
clinical imports them."""

import ast
from pathlib import Path

import pytest

KAPCARE = Path(__file__).resolve().parents[2]
ON_TOP = ("kapcare.fhir", "kapcare.portal", "kapcare.website")
BELOW = sorted(
    folder.name
    for folder in KAPCARE.iterdir()
    if (folder / "apps.py").exists() and f"kapcare.{folder.name}" not in ON_TOP
)


def imports_of(app: str) -> list[tuple[str, str]]:
    found = []
    for source in (KAPCARE / app).rglob("*.py"):
        if "tests" in source.parts:
            continue
        for node in ast.walk(ast.parse(source.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            found += [(source.relative_to(KAPCARE).as_posix(), name) for name in names]
    return found


@pytest.mark.parametrize("app", BELOW)
def test_no_app_below_the_top_imports_fhir_portal_or_website(app):
    assert [(where, name) for where, name in imports_of(app) if name.startswith(ON_TOP)] == []


def test_the_apps_below_the_top_are_found():
    assert {"clinics", "patients", "sessions", "evaluation", "integration", "measures"} <= set(BELOW)
