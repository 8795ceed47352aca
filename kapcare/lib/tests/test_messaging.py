import json

from django.core import mail

from kapcare.lib.messaging import FileSMS, send_email, send_sms


def test_texts_go_through_the_configured_backend(sms_outbox):
    send_sms("+16175550123", "Your kapcare link is ready.")
    assert [(m.to, m.body) for m in sms_outbox] == [("+16175550123", "Your kapcare link is ready.")]


def test_the_development_backend_writes_texts_to_the_outbox_file(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    FileSMS().send("+16175550123", "hello")
    line = json.loads((tmp_path / "outbox" / "sms.jsonl").read_text())
    assert (line["to"], line["body"]) == ("+16175550123", "hello")


def test_email_goes_through_django_mailers(db):
    send_email("patient@example.com", "Your questionnaire", "Open the link.", "<p>Open the link.</p>")
    assert mail.outbox[0].to == ["patient@example.com"]
    assert mail.outbox[0].alternatives[0].mimetype == "text/html"
