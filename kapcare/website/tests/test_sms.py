from django.urls import reverse

from kapcare.leads.models import Lead, LeadSettings, SmsOptOut
from kapcare.website.sms import signature

TOKEN = "test-auth-token"
URL = "http://testserver/sms/inbound/"


def test_the_signature_matches_twilios_published_example():
    params = {"CallSid": ["CA1234567890ABCDE"], "Caller": ["+12349013030"], "Digits": ["1234"],
              "From": ["+12349013030"], "To": ["+18005551212"]}  # fmt: skip
    assert (
        signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params)
        == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )


def text(client, body, sender="+16175550170", token=TOKEN, sign_with=TOKEN):
    data = {"From": sender, "To": "+16175550149", "Body": body, "MessageSid": "SM1"}
    given = signature(sign_with, URL, {k: [v] for k, v in data.items()})
    return client.post(reverse("website:sms_inbound"), data, HTTP_X_TWILIO_SIGNATURE=given)


def setup(clinic, settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    LeadSettings.objects.create(clinic=clinic, sms_number="+16175550149")


def test_an_inbound_text_becomes_a_lead_and_records_consent_to_text(client, clinic, settings):
    setup(clinic, settings)
    response = text(client, "Do you take Blue Cross?")
    assert response.status_code == 200 and response["Content-Type"] == "text/xml"
    assert "988" in response.text
    lead = Lead.objects.get()
    assert (lead.kind, str(lead.phone)) == ("text", "+16175550170")
    assert lead.text_consent_at is not None
    assert lead.messages.get().body == "Do you take Blue Cross?"


def test_texts_from_the_same_number_thread_onto_the_open_lead(client, clinic, settings):
    setup(clinic, settings)
    text(client, "Hello")
    text(client, "Also, how much is it?")
    text(client, "Someone else", sender="+16175550171")
    assert Lead.objects.count() == 2
    assert list(Lead.objects.get(phone="+16175550170").messages.values_list("body", flat=True)) == [
        "Hello",
        "Also, how much is it?",
    ]


def test_a_post_with_a_wrong_signature_is_refused_and_changes_nothing(client, clinic, settings):
    setup(clinic, settings)
    assert text(client, "Hello", sign_with="someone-else").status_code == 403
    assert not Lead.objects.exists()


def test_without_an_auth_token_configured_every_post_is_refused(client, clinic, settings):
    setup(clinic, settings)
    settings.TWILIO_AUTH_TOKEN = ""
    assert text(client, "Hello", sign_with="").status_code == 403


def test_stop_opts_the_number_out_and_start_opts_it_back_in(client, clinic, settings, sms_outbox):
    setup(clinic, settings)
    text(client, "Hello")
    response = text(client, "STOP")
    assert "no more texts" in response.text
    assert SmsOptOut.objects.filter(clinic=clinic, phone="+16175550170").exists()
    assert not Lead.objects.get().can_text()
    quiet = text(client, "one more thing")
    assert "<Message>" not in quiet.text, "nothing is sent to a number that said STOP"
    text(client, "start")
    assert not SmsOptOut.objects.exists() and Lead.objects.get().can_text()


def test_help_answers_with_the_clinic_and_crisis_numbers(client, clinic, settings):
    setup(clinic, settings)
    clinic.phone = "+1 617 555 0100"
    clinic.save()
    response = text(client, "HELP")
    assert "STOP" in response.text and "+1 617 555 0100" in response.text and "988" in response.text
    assert not Lead.objects.exists()
