"""This app's staff URLs for the role-matrix walk: name -> (kwargs from the cast, method)."""


def a_token(cast):
    from kapcare.fhir.models import ApiToken

    token, _ = ApiToken.issue(clinic=cast["clinic"], scopes="system/*.read", name="matrix walk")
    return {"pk": token.pk}


URLS = {
    "fhir:tokens": (lambda cast: {}, "get"),
    "fhir:token_revoke": (a_token, "post"),
}
