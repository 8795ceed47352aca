"""Clearinghouse adapters: send one 270 eligibility inquiry, get the payer's 271 back as X12 text.

Every adapter has the same small interface, `exchange(inquiry, request_270) -> str`, so the check
does not care where the answer came from:

- `SandboxClearinghouse` (default) answers locally for the demo payers and test members;
- `StediClearinghouse` sends the 270 through Stedi's raw X12 eligibility endpoint and reads the 271;
- `X12HttpsClearinghouse` posts the 270 as X12 to any endpoint that answers with a 271.

The real adapters reach the network only through `transport`, a function of (url, body, headers,
timeout) returning (status, body); tests hand in a fake that replays recorded responses.
"""

import json
import urllib.error
import urllib.request
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from kapcare.coverage import sandbox
from kapcare.coverage.x12 import EligibilityInquiry, X12Error

Transport = Callable[[str, bytes, dict, float], tuple[int, bytes]]


class ClearinghouseError(Exception):
    """The clearinghouse could not be reached or refused the inquiry; the message says what to do."""


def urllib_transport(url: str, body: bytes, headers: dict, timeout: float) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (https from settings)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise ClearinghouseError(
            f"The clearinghouse could not be reached ({error}); try again shortly."
        ) from error


class SandboxClearinghouse:
    """Answers on this machine, for the demo payers and the sandbox test members."""

    name = "sandbox"
    label = "Local sandbox"
    sends_our_270 = True  # so the 271 carries our trace number back

    def exchange(self, inquiry: EligibilityInquiry, request_270: str) -> str:
        try:
            return sandbox.respond(request_270)
        except X12Error as error:
            raise ClearinghouseError(f"The sandbox refused the inquiry: {error}") from error


class StediClearinghouse:
    """Stedi's raw X12 real-time eligibility endpoint: kapcare's own 270 goes in the request's `x12`
    property and the payer's 271 comes back in the answer's `x12` property (Stedi documents the
    answer as "in both JSON and raw X12 EDI format"). kapcare reads that 271 with its own parser,
    so every adapter's result means the same, and the 270 it stores is the one the payer got."""

    name = "stedi"
    label = "Stedi"
    sends_our_270 = True  # so the 271 carries our trace number back

    def __init__(self, url: str, api_key: str, transport: Transport = urllib_transport, timeout: float = 30):
        if not api_key:
            raise ImproperlyConfigured(
                "Set KAPCARE_STEDI_API_KEY (or KAPCARE_STEDI_API_KEY_FILE) to use Stedi."
            )
        self.url, self.api_key, self.transport, self.timeout = url, api_key, transport, timeout

    def exchange(self, inquiry: EligibilityInquiry, request_270: str) -> str:
        body = json.dumps({"x12": request_270}).encode()
        headers = {
            "Authorization": self.api_key,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        status, content = self.transport(self.url, body, headers, self.timeout)
        try:
            answer = json.loads(content or b"{}")
        except ValueError as error:
            raise ClearinghouseError(f"Stedi answered {status} with something that is not JSON.") from error
        if status >= 400 or not isinstance(answer, dict):
            raise ClearinghouseError(f"Stedi refused the inquiry ({status}): {_stedi_errors(answer)}")
        x12 = answer.get("x12")
        if not isinstance(x12, str) or not x12.startswith("ISA"):
            raise ClearinghouseError(
                f"Stedi's answer carried no X12 271 to read ({_stedi_errors(answer)}); "
                "ask Stedi support about it."
            )
        return x12


def _stedi_errors(answer) -> str:
    if not isinstance(answer, dict):
        return "no details given"
    errors = answer.get("errors") or []
    described = [
        " ".join(str(part) for part in (error.get("description"), error.get("followupAction")) if part)
        for error in errors
        if isinstance(error, dict)
    ]
    return "; ".join(text for text in described if text) or str(answer.get("message") or "no details given")


class X12HttpsClearinghouse:
    """Posts the 270 as X12 text and reads a 271 back, as many clearinghouses offer."""

    name = "x12-https"
    label = "X12 over HTTPS"
    sends_our_270 = True

    def __init__(
        self, url: str, token: str = "", transport: Transport = urllib_transport, timeout: float = 30
    ):
        if not url.startswith("https://"):
            raise ImproperlyConfigured("Set KAPCARE_X12_URL to the clearinghouse's https:// address.")
        self.url, self.token, self.transport, self.timeout = url, token, transport, timeout

    def exchange(self, inquiry: EligibilityInquiry, request_270: str) -> str:
        headers = {"Content-Type": "application/edi-x12", "Accept": "application/edi-x12"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        status, content = self.transport(self.url, request_270.encode("ascii"), headers, self.timeout)
        text = content.decode("ascii", errors="replace").strip()
        if status >= 400:
            raise ClearinghouseError(
                f"The clearinghouse refused the inquiry ({status}): {text[:200] or 'no details'}"
            )
        if not text.startswith("ISA"):
            raise ClearinghouseError(
                f"The clearinghouse answered {status} without an X12 271: {text[:120]!r}"
            )
        return text


def get_clearinghouse(transport: Transport | None = None):
    """The adapter the settings choose (KAPCARE_CLEARINGHOUSE)."""
    chosen = settings.COVERAGE_CLEARINGHOUSE
    timeout = settings.COVERAGE_TIMEOUT_SECONDS
    if chosen == "sandbox":
        return SandboxClearinghouse()
    if chosen == "stedi":
        return StediClearinghouse(
            settings.COVERAGE_STEDI_URL,
            settings.COVERAGE_STEDI_API_KEY,
            transport or urllib_transport,
            timeout,
        )
    if chosen == "x12-https":
        return X12HttpsClearinghouse(
            settings.COVERAGE_X12_URL, settings.COVERAGE_X12_TOKEN, transport or urllib_transport, timeout
        )
    raise ImproperlyConfigured(f"KAPCARE_CLEARINGHOUSE is {chosen!r}; use sandbox, stedi or x12-https.")
