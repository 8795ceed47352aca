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


def _instrument(cast):
    from kapcare.measures.models import install_shipped

    return {"pk": next(i for i in install_shipped(cast["clinic"]) if i.name == "phq-9").pk}


def _invitation(cast):
    from django.utils import timezone

    from kapcare.measures.models import Assignment, Invitation, install_shipped

    phq9 = next(i for i in install_shipped(cast["clinic"]) if i.name == "phq-9")
    assignment = Assignment.objects.create(
        clinic=cast["clinic"],
        patient=cast["patient"],
        instrument=phq9,
        schedule="once",
        channel="sms",
        created_by=cast["users"]["prescriber"],
    )
    invitation = Invitation.objects.create(
        clinic=cast["clinic"],
        patient=cast["patient"],
        assignment=assignment,
        instrument=phq9,
        occasion="once",
        due_at=timezone.now(),
    )
    return {"pk": invitation.pk}


def _assignment(cast):
    from kapcare.measures.models import Invitation

    return {"pk": Invitation.objects.get(pk=_invitation(cast)["pk"]).assignment_id}


URLS = {
    "measures:panel": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "measures:assign": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "measures:enter": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "measures:results": (lambda cast: _results(cast), "get"),
    "measures:response": (lambda cast: {"pk": _alert(cast).response_id}, "get"),
    "measures:alerts": (lambda cast: {}, "get"),
    "measures:alert": (lambda cast: {"pk": _alert(cast).pk}, "get"),
    "measures:alert_close": (lambda cast: {"pk": _alert(cast).pk}, "post"),
    "measures:assignment_cancel": (_assignment, "get"),
    "measures:invitation_cancel": (_invitation, "get"),
    "measures:invitation_resend": (_invitation, "post"),
    "measures:instruments": (lambda cast: {}, "get"),
    "measures:import": (lambda cast: {}, "get"),
    "measures:instrument": (_instrument, "get"),
    "measures:rule_add": (_instrument, "post"),
    "measures:rule_remove": (_instrument, "post"),
    "measures:reference_sd": (_instrument, "post"),
}
