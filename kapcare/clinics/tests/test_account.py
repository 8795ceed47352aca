"""A member's own account page: the mobile number urgent alerts are texted to."""

import pytest
from django.urls import reverse

from kapcare.audit.models import AuditEvent

URL = reverse("clinics:account")


def test_a_member_gives_a_mobile_number_kept_in_e164_and_audited_without_it(signed_in, nurse):
    client = signed_in(nurse)
    page = client.get(URL).content.decode()
    assert "Text me urgent alerts at" in page and "never who the patient is" in page
    response = client.post(URL, {"alert_phone": "(617) 555-0101"})
    assert response.status_code == 302
    nurse.refresh_from_db()
    assert nurse.alert_phone == "+16175550101"
    event = AuditEvent.objects.get(action="security", actor_id=nurse.pk, detail__event="alert phone set")
    assert "555" not in str(event.detail)
    assert "texted to +16175550101" in client.get(URL).content.decode()


def test_clearing_the_number_means_email_only(signed_in, nurse):
    nurse.alert_phone = "+16175550101"
    nurse.save()
    signed_in(nurse).post(URL, {"alert_phone": "  "})
    nurse.refresh_from_db()
    assert nurse.alert_phone == ""
    assert AuditEvent.objects.filter(detail__event="alert phone removed").exists()


@pytest.mark.parametrize(
    "typed, said",
    [
        ("not a phone", "is not a phone number that can take a text"),
        ("617 555", "is not a phone number that can take a text"),
        ("+1 800 555 0199", "is not a mobile number"),
    ],
)
def test_a_number_that_cannot_take_a_text_is_refused_and_nothing_changes(signed_in, nurse, typed, said):
    response = signed_in(nurse).post(URL, {"alert_phone": typed})
    assert response.status_code == 200 and said in response.content.decode()
    nurse.refresh_from_db()
    assert nurse.alert_phone == ""
    assert not AuditEvent.objects.filter(detail__event__startswith="alert phone").exists()


def test_the_header_leads_every_member_to_their_account(signed_in, billing):
    assert f'href="{URL}"' in signed_in(billing).get(reverse("patients:dashboard")).content.decode()


def test_the_team_page_tells_the_admin_who_gets_urgent_alerts_by_text_without_the_number(
    signed_in, admin, nurse
):
    nurse.alert_phone = "+16175550101"
    nurse.save()
    page = signed_in(admin).get(reverse("clinics:team")).content.decode()
    assert "Email and text" in page and "Email only" in page
    assert "555" not in page
