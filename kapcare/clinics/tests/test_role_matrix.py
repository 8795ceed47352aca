"""Walks every staff URL for every role and for outsiders from another clinic.

A member whose role the matrix allows gets the page; a role it does not allow gets 403; anyone
from another clinic gets 404 for a record of this clinic, and a list page shows them nothing of it.
A new staff URL fails this test until its app lists it in tests/role_matrix.py.
"""

import functools
import importlib

import pytest
from django.apps import apps
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import make_member, sign_in
from kapcare.clinics import roles
from kapcare.clinics.roles import Role


def collect(attribute):
    """Each app lists its staff URLs in tests/role_matrix.py; merged here."""
    merged = {} if attribute == "URLS" else set()
    for config in apps.get_app_configs():
        if config.name.startswith("kapcare."):
            try:
                module = importlib.import_module(f"{config.name}.tests.role_matrix")
            except ModuleNotFoundError:
                continue
            merged |= getattr(module, attribute, type(merged)())
    return merged


URLS = collect("URLS")
NOT_ROLE_GATED = collect("NOT_ROLE_GATED")

MEMBERS = [role.value for role in Role]
OUTSIDERS = [f"outsider-{role.value}" for role in Role]


@functools.cache
def staff_url_names():
    """Every named URL under /staff/, with its view."""

    def walk(patterns, namespace="", prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry.url_patterns, inner, route)
            elif isinstance(entry, URLPattern) and entry.name:
                yield f"{namespace}{entry.name}", entry.callback, route

    return {
        name: view for name, view, route in walk(get_resolver().url_patterns) if route.startswith("staff/")
    }


def test_every_staff_url_is_in_the_matrix_walk():
    names = staff_url_names()
    gated = set(names) - NOT_ROLE_GATED
    assert gated == set(URLS), "list every staff URL in its app's tests/role_matrix.py"
    for name in gated:
        permission = getattr(names[name], "permission", None)
        assert permission in roles.MATRIX, f"{name} has no permission from the role matrix"


@pytest.fixture
def cast(clinic, other_clinic, patient, course):
    members = {
        role.value: make_member(clinic, role, f"{role.value}.m@riverside.example", f"{role.label} R")
        for role in Role
    }
    outsiders = {
        f"outsider-{role.value}": make_member(
            other_clinic, role, f"{role.value}@hillside.example", f"{role.label} H"
        )
        for role in Role
    }
    site = clinic.sites.get()
    return {
        "clinic": clinic,
        "other_clinic": other_clinic,
        "patient": patient,
        "course": course,
        "site": site,
        "room": site.rooms.get(),
        "membership": members["nurse"].memberships.get(),
        "users": members | outsiders,
    }


@pytest.mark.parametrize("name", sorted(URLS))
def test_role_matrix(client, cast, name):
    """One URL, every role of the clinic and every role at another clinic."""
    fill, method = URLS[name]
    kwargs = fill(cast)
    url = reverse(name, kwargs=kwargs)
    view = staff_url_names()[name]
    problems = []
    for who in MEMBERS + OUTSIDERS:
        # Each visit is undone afterwards, so a POST by one role cannot change what the next one sees.
        with transaction.atomic():
            sign_in(client, cast["users"][who])
            response = getattr(client, method)(url)
            transaction.set_rollback(True)
        problems += outcome_problems(who, url, kwargs, view.permission, response)
    assert not problems, "\n".join(problems)


def outcome_problems(who, url, kwargs, permission, response) -> list[str]:
    role = who.removeprefix("outsider-")
    outsider = who.startswith("outsider-")
    status = response.status_code
    if outsider and kwargs:
        expected = {404}
    elif not roles.allows(role, permission):
        expected = {403}
    else:
        expected = {200, 302}
    problems = [] if status in expected else [f"{who} on {url}: {status}, expected {sorted(expected)}"]
    html = status == 200 and response.get("Content-Type", "").startswith("text/html")
    page = response.content.decode() if html and not response.streaming else ""
    if "<title>" in page:
        # Markup in the title is a page_title block left open: its content never reaches the page.
        title = page[page.index("<title>") + 7 : page.index("</title>")]
        problems += [f"{who} on {url}: markup in the page title {title[:60]!r}"] if "<" in title else []
    if outsider:
        body = response.content.decode()
        problems += [
            f"{who} saw {secret!r} on {url}"
            for secret in ("Quillfeather", "riverside.example", "Main Street", "Willow")
            if secret in body
        ]
    return problems
