"""Staff sign-in: password, lockout, the second factor before any health data, idle sign-out."""

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from kapcare.audit.models import AuditEvent


def post_signin(client, email, password):
    return client.post(reverse("clinics:signin"), {"email": email, "password": password})


def code_for(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_a_page_with_health_data_sends_a_stranger_to_sign_in(client, patient):
    response = client.get(reverse("patients:chart", args=[patient.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("clinics:signin") + "?next=%2Fstaff%2Fpatients%2F")


def test_password_alone_does_not_show_health_data(client, prescriber, patient):
    post_signin(client, prescriber.email, PASSWORD)
    response = client.get(reverse("patients:chart", args=[patient.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("clinics:2fa_verify")


def test_a_new_member_must_enrol_two_factor_before_seeing_patients(client, prescriber, patient):
    TOTPDevice.objects.filter(user=prescriber).delete()
    post_signin(client, prescriber.email, PASSWORD)
    assert client.get(reverse("patients:list"))["Location"] == reverse("clinics:2fa_setup")
    page = client.get(reverse("clinics:2fa_setup"))
    assert b"<svg" in page.content and "Type this key instead" in page.content.decode()
    device = TOTPDevice.objects.get(user=prescriber, confirmed=False)
    client.post(reverse("clinics:2fa_setup"), {"code": code_for(device)})
    device.refresh_from_db()
    assert device.confirmed
    assert "Quillfeather" in client.get(reverse("patients:list")).content.decode()


def test_a_wrong_enrolment_code_is_refused(client, prescriber):
    TOTPDevice.objects.filter(user=prescriber).delete()
    post_signin(client, prescriber.email, PASSWORD)
    client.get(reverse("clinics:2fa_setup"))
    device = TOTPDevice.objects.get(user=prescriber, confirmed=False)
    wrong = "000000" if code_for(device) != "000000" else "111111"
    response = client.post(reverse("clinics:2fa_setup"), {"code": wrong})
    assert "That code is not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(reverse("patients:list"))["Location"] == reverse("clinics:2fa_setup")


def test_a_correct_code_opens_the_staff_app(client, prescriber, patient):
    post_signin(client, prescriber.email, PASSWORD)
    device = TOTPDevice.objects.get(user=prescriber)
    response = client.post(reverse("clinics:2fa_verify"), {"code": code_for(device)})
    assert response.status_code == 302
    assert client.get(reverse("patients:list")).status_code == 200


def test_a_wrong_password_is_refused_and_audited(client, prescriber):
    response = post_signin(client, prescriber.email, "not the password")
    assert "do not match an active account" in response.content.decode()
    event = AuditEvent.objects.get(action="sign_in_failed")
    assert event.detail == {"email": prescriber.email}


def test_the_account_locks_after_repeated_failures(client, prescriber):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_signin(client, prescriber.email, "guess")
    response = post_signin(client, prescriber.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()


def test_passwords_are_hashed_with_argon2():
    from kapcare import settings as production_settings

    assert production_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_the_password_policy_refuses_a_short_or_common_password(client, admin, signed_in):
    signed_in(admin)
    response = client.post(
        reverse("clinics:add_staff"),
        {
            "email": "new@riverside.example",
            "full_name": "New Nurse",
            "role": "nurse",
            "password": "password1",
        },
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode() or "too common" in response.content.decode()


def test_sessions_end_after_the_idle_time():
    assert settings.SESSION_COOKIE_AGE == settings.IDLE_MINUTES * 60 == 15 * 60


def test_a_session_in_use_stays_signed_in_and_is_rewritten_at_most_once_a_minute(
    client, prescriber, patient, signed_in, time_machine
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def session_writes():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("patients:list")).status_code == 200
        return sum('"django_session"' in q["sql"] and not q["sql"].startswith("SELECT") for q in queries)

    time_machine.move_to("2026-11-27 10:00:00+00:00", tick=False)
    signed_in(prescriber)
    assert session_writes() == 0  # written at sign-in, a moment ago
    time_machine.shift(30)
    assert session_writes() == 0  # within the minute: nothing to write
    time_machine.shift(31)
    assert session_writes() == 1
    # Used every ten minutes for an hour: never idle for 15 minutes, never signed out.
    for _ in range(6):
        time_machine.shift(10 * 60)
        assert session_writes() == 1


def test_an_idle_session_is_signed_out(client, prescriber, patient, signed_in, time_machine):
    time_machine.move_to("2026-11-27 10:00:00+00:00", tick=False)
    signed_in(prescriber)
    assert client.get(reverse("patients:list")).status_code == 200
    time_machine.shift(settings.SESSION_COOKIE_AGE + 5)
    assert client.get(reverse("patients:list")).status_code == 302


@pytest.mark.parametrize("demo_clinic", [True, False])
def test_demo_mode_skips_two_factor_only_for_the_demo_clinic(
    client, settings, prescriber, patient, demo_clinic
):
    settings.DEMO_MODE = True
    prescriber.memberships.update()
    patient.clinic.is_demo = demo_clinic
    patient.clinic.save()
    post_signin(client, prescriber.email, PASSWORD)
    response = client.get(reverse("patients:list"))
    if demo_clinic:
        assert response.status_code == 200
        assert "Demo mode." in response.content.decode()
    else:
        assert response.status_code == 302


def test_outside_demo_mode_no_page_says_demo(client, prescriber, signed_in):
    signed_in(prescriber)
    assert "Demo mode." not in client.get(reverse("patients:list")).content.decode()
    assert "Demo mode." not in client.get("/").content.decode()


def test_signing_out_ends_the_session(client, prescriber, signed_in):
    signed_in(prescriber)
    client.post(reverse("clinics:signout"))
    assert client.get(reverse("patients:list")).status_code == 302


def test_signin_does_not_redirect_to_another_site(client, prescriber):
    response = client.post(
        reverse("clinics:signin") + "?next=https://evil.example/",
        {"email": prescriber.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("patients:dashboard")


def test_an_admin_resets_a_lost_authenticator_and_the_member_enrols_again(client, admin, nurse, signed_in):
    signed_in(admin)
    membership = nurse.memberships.get()
    client.post(reverse("clinics:reset_second_factor", args=[membership.pk]))
    assert not TOTPDevice.objects.filter(user=nurse).exists()
    assert AuditEvent.objects.filter(action="security", detail__event="two-factor reset").exists()
    client.logout()
    post_signin(client, nurse.email, PASSWORD)
    assert client.get(reverse("patients:list"))["Location"] == reverse("clinics:2fa_setup")


def test_a_member_changes_their_password_and_the_policy_applies(client, nurse, signed_in):
    signed_in(nurse)
    url = reverse("clinics:change_password")
    weak = client.post(url, {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"})
    assert "too short" in weak.content.decode()
    client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer passphrase",
            "new_password2": "a much longer passphrase",
        },
    )
    nurse.refresh_from_db()
    assert nurse.check_password("a much longer passphrase")
    assert AuditEvent.objects.filter(action="security", detail__event="password changed").exists()


def test_the_staff_menu_marks_the_section_of_the_page(client, admin, patient, signed_in):
    signed_in(admin)
    page = client.get(reverse("audit:log")).content.decode()
    assert 'aria-current="page">Audit log<' in page
    assert 'aria-current="page">Today<' not in page
    assert 'aria-current="page">Today<' in client.get(reverse("patients:dashboard")).content.decode()
