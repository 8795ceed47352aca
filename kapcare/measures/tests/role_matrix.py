"""This app's staff URLs for the role-matrix walk: name -> (kwargs from the cast, method)."""


def _alert(cast):
    from kapcare.measures.models import install_shipped, record_response
    from kapcare.measures.tests.conftest import phq9_answers

    instruments = {i.name: i for i in install_shipped(cast["clinic"])}
    response = record_response(instruments["phq-9"], cast["patient"], phq9_answers([1] * 9), via="link")
    return response.alerts.get()


def _results(cast):
    from kapcare.measures.models import install_shipped

    install_shipped(cast["clinic"])
    return {"pk": cast["patient"].pk, "instrument": "phq-9"}


URLS = {
    "measures:panel": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "measures:assign": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "measures:enter": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "measures:results": (lambda cast: _results(cast), "get"),
    "measures:response": (lambda cast: {"pk": _alert(cast).response_id}, "get"),
    "measures:alerts": (lambda cast: {}, "get"),
    "measures:alert": (lambda cast: {"pk": _alert(cast).pk}, "get"),
    "measures:alert_close": (lambda cast: {"pk": _alert(cast).pk}, "post"),
}
