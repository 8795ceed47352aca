"""POST /api/devices/observations: vital signs from a monitor or bridge, as FHIR Observations.

The caller presents a bearer token issued by `kapcare apitoken` with a scope that lets it create
Observations, for example system/Observation.write. The token names the clinic. The readings go
through the sessions app's own way in (`ingest_observations`), as POST /fhir/R4/Observation does;
this app owns the tokens, so the endpoint lives here and the sessions app knows nothing of it.
"""

import json
from datetime import timedelta

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kapcare.fhir.auth import find_token, scopes_of
from kapcare.fhir.models import hash_token
from kapcare.fhir.scopes import ScopeError
from kapcare.sessions.devices import Refused, ingest_observations

FHIR_JSON = "application/fhir+json"
# As the FHIR API does: a write per post would double the work; once a minute says enough.
TOUCH_EVERY = timedelta(minutes=1)


def answer(status: int, body: dict) -> JsonResponse:
    return JsonResponse(body, status=status, content_type=FHIR_JSON)


def token_for(request):
    """The active API token in the Authorization header that may create Observations, else Refused."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Refused(
            401,
            "Send a bearer token: Authorization: Bearer <token from kapcare apitoken>.",
            "Request",
            "login",
        )
    token = find_token(hash_token(header[7:].strip()))
    if token is not None and token.is_revoked:
        token = None
    if token is None:
        raise Refused(401, "The token is not known or has been revoked.", "Request", "login")
    try:
        scopes = scopes_of(token.scopes)
    except ScopeError:
        scopes = []
    if not any(s.context == "system" and s.allows("Observation", "create") for s in scopes):
        raise Refused(
            403,
            "The token's scopes do not allow creating Observations (system/Observation.write).",
            "Request",
            "forbidden",
        )
    return token


@csrf_exempt
@require_POST
def observations(request):
    try:
        token = token_for(request)
        try:
            resources = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise Refused(400, "The body is not JSON.", "Request", "structure") from None
        request.audit_role = "device"
        result = ingest_observations(token.clinic, resources, actor=token.audit_actor, request=request)
    except Refused as refused:
        return answer(refused.status, refused.outcome())
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        type(token).objects.filter(pk=token.pk).update(last_used_at=now)
    status, body = result.response()
    return answer(status, body)
