"""Clearinghouse adapters, each replaced at the transport by recorded responses: never the network."""

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from kapcare.coverage.clearinghouse import (
    ClearinghouseError,
    SandboxClearinghouse,
    StediClearinghouse,
    X12HttpsClearinghouse,
    get_clearinghouse,
)
from kapcare.coverage.x12 import (
    EligibilityInquiry,
    Subscriber,
    behavioral_health_summary,
    build_270,
    parse_271,
)

RECORDED = Path(__file__).parent / "recorded"


def recorded(name: str) -> bytes:
    return (RECORDED / name).read_bytes()


class FakeTransport:
    """Answers with one recorded response and remembers what it was sent."""

    def __init__(self, status: int, body: bytes):
        self.status, self.body, self.sent = status, body, []

    def __call__(self, url, body, headers, timeout):
        self.sent.append({"url": url, "body": body, "headers": headers, "timeout": timeout})
        return self.status, self.body


def inquiry(control=913, dependent=None, payer_id="62308") -> EligibilityInquiry:
    return EligibilityInquiry(
        provider_npi="1234567893",
        provider_name="RIVERSIDE KAP",
        payer_id=payer_id,
        payer_name="CIGNA",
        subscriber=Subscriber("QUILLFEATHER", "MARGUERITE", "U1234567801", date(1984, 3, 9), "F"),
        dependent=dependent,
        service_type="MH",
        service_date=date(2026, 11, 3),
        created=datetime(2026, 11, 3, 14, 12),
        interchange_control_number=control,
        group_control_number=control,
        transaction_control_number=f"{control:04d}",
        trace_number=f"KAP1-{control}",
    )


def test_stedi_gets_our_own_270_in_the_x12_property_of_its_raw_x12_endpoint():
    transport = FakeTransport(200, recorded("stedi_active.json"))
    asked = inquiry()
    request_270 = build_270(asked)
    StediClearinghouse("https://stedi.example/eligibility/v3/raw-x12", "test-key", transport).exchange(
        asked, request_270
    )
    (sent,) = transport.sent
    assert sent["url"] == "https://stedi.example/eligibility/v3/raw-x12"
    assert sent["headers"]["Authorization"] == "test-key"
    assert sent["headers"]["Content-Type"] == "application/json"
    assert json.loads(sent["body"]) == {"x12": request_270}
    # Stedi accepts only ~ * : ^ as delimiters; kapcare's 270 uses exactly those.
    assert request_270[3] == "*" and request_270[104:106] == ":~" and "*^*00501*" in request_270


def test_stedi_returns_the_raw_271_it_recorded_and_it_reads_as_active_coverage():
    transport = FakeTransport(200, recorded("stedi_active.json"))
    asked = inquiry()
    text = StediClearinghouse("https://stedi.example/v3", "k", transport).exchange(asked, build_270(asked))
    summary = behavioral_health_summary(parse_271(text))
    assert summary.status == "active"
    assert summary.plan_name == "OPEN ACCESS PLUS"
    assert [str(share.amount) for share in summary.copays] == ["40", "25"]


def test_stedi_validation_errors_are_shown_with_what_to_do():
    transport = FakeTransport(400, recorded("stedi_validation_error.json"))
    asked = inquiry(control=914)
    with pytest.raises(ClearinghouseError) as raised:
        StediClearinghouse("https://stedi.example/v3", "k", transport).exchange(asked, build_270(asked))
    assert "(400)" in str(raised.value)
    assert "dateOfBirth must be in the format YYYYMMDD Please Correct and Resubmit" in str(raised.value)


def test_stedi_unauthorized_says_so():
    transport = FakeTransport(401, recorded("stedi_unauthorized.json"))
    with pytest.raises(ClearinghouseError, match=r"\(401\): Unauthorized"):
        StediClearinghouse("https://stedi.example/v3", "k", transport).exchange(inquiry(), "")


def test_stedi_answer_that_is_not_json_is_an_error_not_a_crash():
    transport = FakeTransport(502, b"<html>Bad gateway</html>")
    with pytest.raises(ClearinghouseError, match="502 with something that is not JSON"):
        StediClearinghouse("https://stedi.example/v3", "k", transport).exchange(inquiry(), "")


def test_stedi_answer_without_x12_is_refused():
    answer = json.loads(recorded("stedi_active.json"))
    del answer["x12"]
    transport = FakeTransport(200, json.dumps(answer).encode())
    with pytest.raises(ClearinghouseError, match="no X12 271"):
        StediClearinghouse("https://stedi.example/v3", "k", transport).exchange(inquiry(), "")


def test_x12_https_posts_the_270_as_is_with_the_token():
    transport = FakeTransport(200, recorded("x12_invalid_member.x12"))
    asked = inquiry(control=8)
    request_270 = build_270(asked)
    text = X12HttpsClearinghouse("https://hub.example/x12", "secret", transport).exchange(asked, request_270)
    (sent,) = transport.sent
    assert sent["body"] == request_270.encode()
    assert sent["headers"]["Authorization"] == "Bearer secret"
    assert sent["headers"]["Content-Type"] == "application/edi-x12"
    summary = behavioral_health_summary(parse_271(text))
    assert summary.status == "rejected"
    assert summary.rejections[0].reason.code == "72"


def test_x12_https_reads_an_inactive_dependent():
    transport = FakeTransport(200, recorded("x12_inactive_dependent.x12"))
    text = X12HttpsClearinghouse("https://hub.example/x12", "", transport).exchange(inquiry(control=7), "ISA")
    summary = behavioral_health_summary(parse_271(text))
    assert (summary.status, summary.patient_name) == ("inactive", "WREN FERNSBY")
    assert summary.coverage_ends == date(2025, 10, 31)
    assert "Authorization" not in transport.sent[0]["headers"]


def test_x12_https_error_status_is_shown_with_the_body():
    transport = FakeTransport(503, b"maintenance window until 02:00 ET")
    with pytest.raises(ClearinghouseError, match=r"\(503\): maintenance window"):
        X12HttpsClearinghouse("https://hub.example/x12", "", transport).exchange(inquiry(), "ISA")


def test_x12_https_answer_that_is_not_x12_is_refused():
    transport = FakeTransport(200, b"<html>login</html>")
    with pytest.raises(ClearinghouseError, match="without an X12 271"):
        X12HttpsClearinghouse("https://hub.example/x12", "", transport).exchange(inquiry(), "ISA")


def test_the_sandbox_is_the_default(settings):
    settings.COVERAGE_CLEARINGHOUSE = "sandbox"
    assert isinstance(get_clearinghouse(), SandboxClearinghouse)


def test_settings_choose_stedi_and_insist_on_a_key(settings):
    settings.COVERAGE_CLEARINGHOUSE = "stedi"
    settings.COVERAGE_STEDI_API_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="KAPCARE_STEDI_API_KEY"):
        get_clearinghouse()
    settings.COVERAGE_STEDI_API_KEY = "k"
    assert isinstance(get_clearinghouse(), StediClearinghouse)


def test_settings_choose_x12_over_https_only_with_an_https_address(settings):
    settings.COVERAGE_CLEARINGHOUSE = "x12-https"
    settings.COVERAGE_X12_URL = "http://plain.example/x12"
    with pytest.raises(ImproperlyConfigured, match="https://"):
        get_clearinghouse()
    settings.COVERAGE_X12_URL = "https://hub.example/x12"
    assert isinstance(get_clearinghouse(), X12HttpsClearinghouse)


def test_an_unknown_clearinghouse_setting_is_refused(settings):
    settings.COVERAGE_CLEARINGHOUSE = "availity"
    with pytest.raises(ImproperlyConfigured, match="sandbox, stedi or x12-https"):
        get_clearinghouse()


def test_stedis_271_echoes_our_trace_number_and_an_answer_to_another_inquiry_is_refused():
    from kapcare.coverage.eligibility import _check_trace

    transport = FakeTransport(200, recorded("stedi_active.json"))
    asked = inquiry()
    text = StediClearinghouse("https://stedi.example/v3", "k", transport).exchange(asked, build_270(asked))
    _check_trace(parse_271(text), asked)  # ours: accepted
    with pytest.raises(ClearinghouseError, match="for another inquiry"):
        _check_trace(parse_271(text), inquiry(control=914))
