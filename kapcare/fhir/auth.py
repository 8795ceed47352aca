"""Bearer tokens: who is calling the API, for which clinic, with which scopes."""

from datetime import timedelta
from functools import lru_cache

from django.utils import timezone

from kapcare.fhir.api import Caller
from kapcare.fhir.errors import FhirError
from kapcare.fhir.models import ApiToken, hash_token
from kapcare.fhir.registry import registry
from kapcare.fhir.scopes import parse_scopes

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
    token = ApiToken.objects.select_related("clinic").filter(token_hash=hash_token(secret.strip())).first()
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


@lru_cache(maxsize=1024)
def scopes_of(text: str) -> list:
    # A token's scopes never change once issued; read each text once per process.
    return parse_scopes(text, known_types=None)


def base_url(request) -> str:
    return request.build_absolute_uri("/fhir/R4")


def known_types() -> list[str]:
    return registry().types()
