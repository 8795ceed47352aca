"""A clinic admin issues an API token, a client uses it against the FHIR API, and the admin
revokes it; on a desktop and on a phone."""

import json
import urllib.error
import urllib.request

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.e2e.conftest import screenshot
from tests.e2e.test_staff_signin import sign_in_with_password


def sign_in(page, live_server, admin):
    sign_in_with_password(page, live_server, admin.email)
    page.get_by_role("heading", name="Enter your code").wait_for()
    device = TOTPDevice.objects.get(user=admin)
    page.get_by_label("Six-digit code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Continue").click()


def fhir_status(live_server, token, path):
    request = urllib.request.Request(
        live_server.url + "/fhir/R4/" + path, headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("device", ["page", "phone"])
def test_an_admin_issues_and_revokes_an_api_token(request, device, live_server, admin, patient):
    page = request.getfixturevalue(device)
    sign_in(page, live_server, admin)
    page.goto(live_server.url + "/staff/fhir/tokens/")
    page.get_by_role("heading", name="API tokens").wait_for()
    page.get_by_label("What uses it").fill("State registry feed")
    page.get_by_label("Scopes").fill("system/*.read")
    page.get_by_role("button", name="Issue token").click()
    secret = page.locator(".token-secret").inner_text().strip()
    screenshot(page, f"fhir-token-issued-{device}")

    status, bundle = fhir_status(live_server, secret, "Patient?family=Quillfeather")
    assert status == 200 and bundle["total"] == 1

    page.get_by_role("button", name="Revoke the token for State registry feed").click()
    page.get_by_text("Revoked", exact=False).first.wait_for()
    screenshot(page, f"fhir-token-revoked-{device}")
    assert fhir_status(live_server, secret, "Patient")[0] == 401
    assert page.console_errors == []
