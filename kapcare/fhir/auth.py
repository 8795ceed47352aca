"""Bearer tokens: who is calling the API, for which clinic, with which scopes."""

from datetime import timedelta
from functools import lru_cache

from django.db import connection
from django.utils import timezone

from kapcare.clinics.models import Clinic
from kapcare.fhir.api import Caller
from kapcare.fhir.errors import FhirError
from kapcare.fhir.models import ApiToken, hash_token
from kapcare.fhir.registry import registry
from kapcare.fhir.scopes import parse_scopes
from kapcare.lib.sql import records

TOKEN_FIELDS = ApiToken._meta.concrete_fields
CLINIC_FIELDS = Clinic._meta.concrete_fields
TOKEN_SQL = (
    "SELECT "
    + ", ".join(f't."{field.column}"' for field in TOKEN_FIELDS)
    + ", "
    + ", ".join(f'c."{field.column}"' for field in CLINIC_FIELDS)
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
    with connection.cursor() as cursor:
        cursor.execute(TOKEN_SQL, [token_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(TOKEN_FIELDS)
    token = records(ApiToken, TOKEN_FIELDS, [row[:split]])[0]
    token.clinic = records(Clinic, CLINIC_FIELDS, [row[split:]])[0]
    return token


@lru_cache(maxsize=1024)
def scopes_of(text: str) -> list:
    # A token's scopes never change once issued; read each text once per process.
    return parse_scopes(text, known_types=None)


def base_url(request) -> str:
    return request.build_absolute_uri("/fhir/R4")


def known_types() -> list[str]:
    return registry().types()
