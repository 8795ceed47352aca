"""`kapcare x12 parse FILE` and `kapcare x12 build-270`."""

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kapcare.coverage.x12 import parse_270

X12 = Path(__file__).parent / "x12"


def test_parse_prints_a_271_and_its_summary_as_json(capsys):
    call_command("x12", "parse", str(X12 / "271_subscriber_active.x12"))
    printed = json.loads(capsys.readouterr().out)
    assert printed["transaction_set"] == "271"
    assert printed["summary"]["status"] == "active"
    assert printed["response"]["information_source"]["name"] == "AETNA"


def test_parse_reads_a_270_too(capsys):
    call_command("x12", "parse", str(X12 / "270_dependent.x12"))
    printed = json.loads(capsys.readouterr().out)
    assert printed["transaction_set"] == "270"
    assert printed["inquiry"]["dependent"]["relationship"]


def test_parse_names_the_segment_and_position_of_a_truncated_file(tmp_path):
    broken = tmp_path / "broken.x12"
    broken.write_text((X12 / "271_subscriber_active.x12").read_text()[:300])
    with pytest.raises(CommandError, match=r"PER \(segment 7\).*truncated"):
        call_command("x12", "parse", str(broken))


def test_parse_reports_a_mismatched_control_number(tmp_path):
    text = (X12 / "271_subscriber_active.x12").read_text().replace("SE*43*0001", "SE*43*0002")
    broken = tmp_path / "mismatch.x12"
    broken.write_text(text)
    with pytest.raises(CommandError, match=r"SE \(segment \d+, element 2\).*does not match ST02"):
        call_command("x12", "parse", str(broken))


def test_parse_reports_a_missing_file():
    with pytest.raises(CommandError, match="cannot read"):
        call_command("x12", "parse", "/no/such/file.x12")


def test_build_270_prints_an_inquiry_that_reads_back(capsys):
    call_command(
        "x12",
        "build-270",
        "--payer-id",
        "SBX-AETNA",
        "--member-id",
        "KCA100001",
        "--first",
        "Avery",
        "--last",
        "Sample",
        "--dob",
        "1985-04-12",
        "--service-type",
        "MH",
        "--npi",
        "1234567893",
        "--control-number",
        "42",
        "--trace",
        "T42",
    )
    inquiry = parse_270(capsys.readouterr().out)
    assert (inquiry.payer_id, inquiry.subscriber.member_id, inquiry.service_type) == (
        "SBX-AETNA",
        "KCA100001",
        "MH",
    )
    assert (inquiry.interchange_control_number, inquiry.trace_number) == (42, "T42")


def test_build_270_for_a_dependent(capsys):
    call_command(
        "x12",
        "build-270",
        "--payer-id",
        "SBX-AETNA",
        "--member-id",
        "KCA100003",
        "--first",
        "Dana",
        "--last",
        "Sample",
        "--dob",
        "1982-06-01",
        "--npi",
        "1234567893",
        "--dependent-first",
        "Emery",
        "--dependent-last",
        "Sample",
        "--dependent-dob",
        "2010-03-08",
    )
    inquiry = parse_270(capsys.readouterr().out)
    assert (inquiry.dependent.first_name, inquiry.dependent.relationship) == ("EMERY", "19")


def test_build_270_refuses_an_invalid_npi():
    with pytest.raises(CommandError, match="provider_npi"):
        call_command(
            "x12",
            "build-270",
            "--payer-id",
            "SBX-AETNA",
            "--member-id",
            "KCA100001",
            "--first",
            "A",
            "--last",
            "B",
            "--dob",
            "1985-04-12",
            "--npi",
            "1234567890",
        )
