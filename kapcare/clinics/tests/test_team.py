"""The admin's team pages: adding a member, their role, professional details (credentials and
NPI) and a lost authenticator."""

import pytest
from django.db import IntegrityError
from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.clinics.models import User

NPI = "1234567893"  # CMS's example: a correct check digit
OTHER_NPI = "1245319599"


def edit(client, membership, **changes):
    data = {
        "role": membership.role,
        "is_active": "on",
        "clinician-credentials": membership.user.credentials,
        "clinician-npi": membership.user.npi,
    } | changes
    return client.post(reverse("clinics:edit_member", args=[membership.pk]), data)


def test_the_admin_gives_a_clinician_their_npi_and_it_is_audited(signed_in, admin, prescriber):
    client = signed_in(admin)
    membership = prescriber.memberships.get()
    response = edit(client, membership, **{"clinician-npi": NPI, "clinician-credentials": "MD, PhD"})
    assert response.status_code == 302
    prescriber.refresh_from_db()
    assert (prescriber.npi, prescriber.credentials) == (NPI, "MD, PhD")
    event = AuditEvent.objects.get(action="update", object_type="Membership", object_id=str(membership.pk))
    assert event.detail["npi"] == NPI
    assert NPI in client.get(reverse("clinics:team")).content.decode()


@pytest.mark.parametrize("typed", ["1234567894", "123456789", "12345678９3", "abcdefghij"])
def test_an_npi_with_a_wrong_check_digit_or_shape_is_refused_and_nothing_changes(
    signed_in, admin, prescriber, typed
):
    membership = prescriber.memberships.get()
    response = edit(signed_in(admin), membership, **{"clinician-npi": typed, "role": "nurse"})
    assert response.status_code == 200
    assert "correct check digit" in response.content.decode()
    prescriber.refresh_from_db()
    membership.refresh_from_db()
    assert (prescriber.npi, membership.role) == ("", "prescriber")
    assert not AuditEvent.objects.filter(action="update", object_type="Membership").exists()


def test_two_accounts_cannot_hold_one_npi(signed_in, admin, prescriber, nurse):
    nurse.npi = NPI
    nurse.save()
    response = edit(signed_in(admin), prescriber.memberships.get(), **{"clinician-npi": NPI})
    assert "Another kapcare account already has this NPI" in response.content.decode()
    prescriber.refresh_from_db()
    assert prescriber.npi == ""
    # Nor behind the form's back: the database holds to it.
    prescriber.npi = NPI
    with pytest.raises(IntegrityError):
        prescriber.save()


def test_accounts_without_an_npi_are_many(prescriber, nurse, therapist):
    assert User.objects.filter(npi="").count() >= 3


def test_a_new_member_of_staff_is_added_with_their_npi(signed_in, admin):
    response = signed_in(admin).post(
        reverse("clinics:add_staff"),
        {
            "email": "np@riverside.example",
            "full_name": "Nadia Perez",
            "credentials": "PMHNP",
            "npi": OTHER_NPI,
            "role": "prescriber",
            "password": "a long enough passphrase",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="np@riverside.example").npi == OTHER_NPI


def test_adding_someone_already_on_kapcare_with_their_own_npi_is_not_refused(signed_in, admin, outsider):
    outsider.npi = NPI
    outsider.save()
    response = signed_in(admin).post(
        reverse("clinics:add_staff"),
        {
            "email": outsider.email.upper(),
            "full_name": outsider.full_name,
            "npi": NPI,
            "role": "prescriber",
            "password": "a long enough passphrase",
        },
    )
    assert response.status_code == 302
    assert outsider.memberships.count() == 2


def test_the_member_page_shows_the_reset_of_a_lost_authenticator_in_the_page(signed_in, admin, nurse):
    membership = nurse.memberships.get()
    page = signed_in(admin).get(reverse("clinics:edit_member", args=[membership.pk])).content.decode()
    title = page[page.index("<title>") : page.index("</title>")]
    assert "Reset two-factor" not in title
    body = page[page.index("<main") :]
    assert reverse("clinics:reset_second_factor", args=[membership.pk]) in body
    assert "Professional details" in body and 'name="clinician-npi"' in body


def createstaff(monkeypatch, *args):
    from django.core.management import call_command

    monkeypatch.setenv("KAPCARE_PASSWORD", "a long enough passphrase")
    call_command("createstaff", "--clinic", "riverside", *args)


def test_createstaff_adds_a_clinician_with_their_npi(monkeypatch, clinic):
    createstaff(monkeypatch, "--email", "md@riverside.example", "--name", "Mo Diaz", "--role", "prescriber",
                "--credentials", "MD", "--npi", NPI)  # fmt: skip
    user = User.objects.get(email="md@riverside.example")
    assert (user.npi, user.credentials, user.memberships.get().role) == (NPI, "MD", "prescriber")


@pytest.mark.parametrize("npi, said", [("1234567894", "is not an NPI"), (NPI, "already has the NPI")])
def test_createstaff_refuses_a_wrong_or_taken_npi_and_adds_no_one(monkeypatch, clinic, nurse, npi, said):
    from django.core.management.base import CommandError

    nurse.npi = NPI
    nurse.save()
    with pytest.raises(CommandError, match=said):
        createstaff(monkeypatch, "--email", "md@riverside.example", "--name", "Mo Diaz", "--role", "prescriber",
                    "--npi", npi)  # fmt: skip
    assert not User.objects.filter(email="md@riverside.example").exists()
