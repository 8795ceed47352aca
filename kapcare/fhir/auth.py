"""Bearer tokens: who is calling the API, for which clinic, with which scopes."""

from datetime import timedelta
from functools import lru_cache

from django.db.models import AutoField, BigAutoField, BooleanField, CharField, IntegerField
from django.utils import timezone

from kapcare.clinics.models import Clinic
from kapcare.fhir.api import Caller
from kapcare.fhir.errors import FhirError
from kapcare.fhir.models import ApiToken, hash_token
from kapcare.fhir.registry import registry
from kapcare.fhir.scopes import parse_scopes

# The clinic's fields that come back from the database as they are (no date to convert).
CLINIC_FIELDS = [
    field
    for field in Clinic._meta.concrete_fields
    if isinstance(field, AutoField | BigAutoField | CharField | BooleanField | IntegerField)
]
TOKEN_SQL = (
    "SELECT t.*, "
    + ", ".join(f'c."{field.column}" AS "clinic__{field.attname}"' for field in CLINIC_FIELDS)
    + f" FROM {ApiToken._meta.db_table} t JOIN {Clinic._meta.db_table} c ON c.id = t.clinic_id"
    + " WHERE t.token_hash = %s"
)
# Writing last_used_at on every call would make each read a write; once a minute says enough.
TOUCH_EVERY = timedelta(minutes=1)


def unauthorized(message: str) -> FhirError:
    error = FhirError(401, message, code="login")
    error.headers["WWW-Authenticate"] = 'Bearer realm="kapcare FHIR"'
    return error


def authenticate(request) -> Caller:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise unauthorized(
            "Send an API token in the Authorization header: 'Bearer <token>'. "
            "A clinic admin makes one with `kapcare apitoken`."
        )
    token = find_token(hash_token(secret.strip()))
    if token is None or token.is_revoked:
        raise unauthorized("This API token is not known here or has been revoked.")
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return Caller(
        clinic=token.clinic,
        scopes=scopes_of(token.scopes),
        token=token,
        request=request,
        base=base_url(request),
        patient_id=token.patient_id,
    )


def find_token(token_hash: str):
    """The token with this hash, with its clinic, or None. Every API call asks this, so it is one
    written-out query by a unique key, which costs far less to run than the ORM's join costs to
    build. A revoked token is refused from the next call on."""
    token = next(iter(ApiToken.objects.raw(TOKEN_SQL, [token_hash])), None)
    if token is not None:
        values = [getattr(token, f"clinic__{field.attname}") for field in CLINIC_FIELDS]
        values = [
            bool(v) if isinstance(f, BooleanField) else v for f, v in zip(CLINIC_FIELDS, values, strict=True)
        ]
        # The clinic's other fields (dates) load if something asks for them.
        token.clinic = Clinic.from_db(token._state.db, [f.attname for f in CLINIC_FIELDS], values)
    return token


@lru_cache(maxsize=1024)
def scopes_of(text: str) -> list:
    # A token's scopes never change once issued; read each text once per process.
    return parse_scopes(text, known_types=None)


def base_url(request) -> str:
    return request.build_absolute_uri("/fhir/R4")


def known_types() -> list[str]:
    return registry().types()
