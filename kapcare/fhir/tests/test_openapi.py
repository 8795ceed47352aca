"""The OpenAPI description, and a schemathesis run against it that finds no server errors."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error

from kapcare.fhir.models import ApiToken
from kapcare.fhir.openapi import openapi
from kapcare.fhir.tests.conftest import body

# Bounded so the whole run takes seconds, not minutes; every operation still gets its examples.
EXAMPLES = 5


def test_the_openapi_description_covers_every_registered_type(client):
    description = body(client.get("/fhir/R4/openapi.json"))
    assert description["openapi"].startswith("3.")
    paths = description["paths"]
    for kind in ("Patient", "Practitioner", "Group"):
        assert {f"/{kind}", f"/{kind}/{{id}}", f"/{kind}/{{id}}/_history/{{vid}}"} <= set(paths)
    assert "post" in paths["/Patient"] and "post" not in paths["/Practitioner"]
    assert {p["name"] for p in paths["/Patient"]["get"]["parameters"]} >= {"family", "birthdate", "_count"}
    prefer = next(p for p in paths["/Patient"]["post"]["parameters"] if p["name"] == "Prefer")
    assert "return=OperationOutcome" in prefer["schema"]["enum"]


schema = schemathesis.openapi.from_dict(openapi("http://testserver/fhir/R4"))
APP = get_wsgi_application()


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Called as a WSGI app, Django closes connections that look stale as a request starts and ends; inside
    the test's transaction on PostgreSQL that closes the test's own connection. Django's test client
    avoids it the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def secret(clinic, patient, prescriber):
    return ApiToken.issue(clinic=clinic, scopes="system/*.*", name="schemathesis")[1]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_generated_requests_without_server_errors(case, secret):
    case.call_and_validate(
        app=APP, headers={"Authorization": f"Bearer {secret}"}, checks=[not_a_server_error]
    )
