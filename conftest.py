"""The cast every test shares: one clinic with a member of each role, a patient, and an outsider
from another clinic. Tests ask for them by name (`prescriber`, `nurse`, `outsider`, ...)."""

import time
from datetime import date

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.clinics.middleware import REFRESHED_KEY
from kapcare.clinics.models import Clinic, Membership, Room, Site, User
from kapcare.clinics.roles import Role
from kapcare.patients.models import Course, Patient, Sex

PASSWORD = "correct horse battery staple"


def make_member(clinic: Clinic, role: str, email: str, name: str, credentials: str = "") -> User:
    user = User.objects.create_user(email, PASSWORD, full_name=name, credentials=credentials)
    Membership.objects.create(user=user, clinic=clinic, role=role)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Argon2 is deliberately slow; the tests that check hashing read the real setting.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def local_messaging(settings, tmp_path):
    """Texts and email stay in memory: `sms_outbox` and django.core.mail.outbox."""
    from kapcare.lib import messaging

    settings.SMS_BACKEND = "kapcare.lib.messaging.MemorySMS"
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    messaging.outbox.clear()
    settings.VAR_DIR = tmp_path


@pytest.fixture
def sms_outbox():
    from kapcare.lib import messaging

    return messaging.outbox


@pytest.fixture
def clinic(db):
    clinic = Clinic.objects.create(slug="riverside", name="Riverside KAP", time_zone="America/New_York")
    site = Site.objects.create(clinic=clinic, name="Main Street", time_zone="America/New_York")
    Room.objects.create(site=site, name="Willow")
    return clinic


@pytest.fixture
def other_clinic(db):
    clinic = Clinic.objects.create(slug="hillside", name="Hillside Ketamine", time_zone="America/Denver")
    Site.objects.create(clinic=clinic, name="Uptown", time_zone="America/Denver")
    return clinic


@pytest.fixture
def prescriber(clinic):
    return make_member(clinic, Role.PRESCRIBER, "prescriber@riverside.example", "Iris Calder", "MD")


@pytest.fixture
def nurse(clinic):
    return make_member(clinic, Role.NURSE, "nurse@riverside.example", "Ben Ortiz", "RN")


@pytest.fixture
def therapist(clinic):
    return make_member(clinic, Role.THERAPIST, "therapist@riverside.example", "Lena Park", "LCSW")


@pytest.fixture
def intake(clinic):
    return make_member(clinic, Role.INTAKE, "intake@riverside.example", "Sam Weller")


@pytest.fixture
def billing(clinic):
    return make_member(clinic, Role.BILLING, "billing@riverside.example", "Ada Finch")


@pytest.fixture
def admin(clinic):
    return make_member(clinic, Role.ADMIN, "admin@riverside.example", "Rita Moss")


@pytest.fixture
def outsider(other_clinic):
    """A prescriber at another clinic: must never see Riverside's records."""
    return make_member(other_clinic, Role.PRESCRIBER, "prescriber@hillside.example", "Otto Vance", "DO")


@pytest.fixture
def patient(clinic):
    return Patient.objects.create(
        clinic=clinic,
        legal_first_name="Marguerite",
        legal_last_name="Quillfeather",
        preferred_name="Daisy",
        date_of_birth=date(1984, 3, 9),
        sex_at_birth=Sex.FEMALE,
        gender_identity="Woman",
        pronouns="she/her",
        phone="+16175550123",
        email="daisy@example.com",
    )


@pytest.fixture
def course(patient, prescriber):
    return Course.objects.create(
        clinic=patient.clinic, patient=patient, condition="trd", prescriber=prescriber, opened_by=prescriber
    )


def sign_in(client, user):
    """Sign a user in as if they had given their password and a one-time code."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user, confirmed=True).persistent_id
    session[REFRESHED_KEY] = int(time.time())  # as a real sign-in leaves it
    session.save()
    return client


@pytest.fixture
def signed_in(client):
    return lambda user: sign_in(client, user)
