"""An API client for the FHIR tests: `fhir(scopes)` gives a client that sends a bearer token."""

import json

import pytest

from kapcare.fhir.models import ApiToken

FHIR_JSON = "application/fhir+json"


class FhirClient:
    def __init__(self, client, secret, token):
        self.client, self.secret, self.token = client, secret, token

    def headers(self, extra):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.secret}", **extra}

    def get(self, url, data=None, **extra):
        return self.client.get(f"/fhir/R4/{url}", data, **self.headers(extra))

    def post(self, url, body, **extra):
        return self.client.post(
            f"/fhir/R4/{url}", json.dumps(body), content_type=FHIR_JSON, **self.headers(extra)
        )

    def put(self, url, body, **extra):
        return self.client.put(
            f"/fhir/R4/{url}", json.dumps(body), content_type=FHIR_JSON, **self.headers(extra)
        )

    def delete(self, url, **extra):
        return self.client.delete(f"/fhir/R4/{url}", **self.headers(extra))


@pytest.fixture
def fhir(client, clinic):
    def make(scopes="system/*.*", *, clinic_=None, patient=None):
        token, secret = ApiToken.issue(
            clinic=clinic_ or clinic, scopes=scopes, name="registry feed", patient=patient
        )
        return FhirClient(client, secret, token)

    return make


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.FHIR_EXPORT_DIR = tmp_path / "fhir-export"


def body(response):
    return json.loads(response.content)


def issues(response):
    outcome = body(response)
    assert outcome["resourceType"] == "OperationOutcome", outcome
    return outcome["issue"]


def expressions(response):
    return [path for item in issues(response) for path in item.get("expression", [])]
