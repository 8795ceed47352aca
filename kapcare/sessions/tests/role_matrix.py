"""This app's staff URLs for the role-matrix walk: name -> (kwargs from the cast, method).

The walk's cast has no dosing session, so `dosing_session` makes one (once) for the cast's patient."""

from django.utils import timezone


def dosing_session(cast):
    from kapcare.sessions.models import Alert, DosingSession

    session = DosingSession.objects.filter(patient=cast["patient"]).first()
    if session is None:
        session = DosingSession.schedule(
            cast["course"],
            site=cast["site"],
            room=cast["room"],
            planned_start=timezone.now(),
            route="iv",
            planned_dose_mg=30,
            by=cast["users"]["prescriber"],
        )
        Alert.objects.create(
            clinic=cast["clinic"],
            patient=cast["patient"],
            session=session,
            rule="overdue",
            key="walk",
            message="Vital signs overdue",
            rule_text="walk",
            source="walk",
            protocol_version=session.protocol.version,
        )
    return session


def session_pk(cast):
    return {"pk": dosing_session(cast).pk}


def alert_pk(cast):
    return {"pk": dosing_session(cast).alerts.get().pk}


def outside_reading(cast):
    from kapcare.sessions.models import VitalSign

    reading = VitalSign.objects.filter(patient=cast["patient"], session__isnull=True).first()
    if reading is None:
        reading = VitalSign.objects.create(
            clinic=cast["clinic"],
            patient=cast["patient"],
            taken_at=timezone.now() - timezone.timedelta(days=30),
            systolic=128,
            diastolic=82,
            source="device",
            device="Home cuff of the role walk",
        )
    return {"pk": reading.pk}


URLS = {
    "sessions:board_home": (lambda cast: {}, "get"),
    "sessions:board": (lambda cast: {"pk": cast["site"].pk}, "get"),
    "sessions:rems_queue": (lambda cast: {}, "get"),
    "sessions:ledger": (lambda cast: {"pk": cast["site"].pk}, "get"),
    "sessions:panel": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "sessions:schedule": (lambda cast: {"pk": cast["course"].pk}, "get"),
    "sessions:detail": (session_pk, "get"),
    "sessions:home_address": (session_pk, "get"),
    "sessions:check_in": (session_pk, "get"),
    "sessions:override": (session_pk, "post"),
    "sessions:abort": (session_pk, "post"),
    "sessions:order": (session_pk, "get"),
    "sessions:administer": (session_pk, "get"),
    "sessions:waste": (session_pk, "post"),
    "sessions:vitals": (session_pk, "post"),
    "sessions:rating": (session_pk, "post"),
    "sessions:note": (session_pk, "post"),
    "sessions:event": (session_pk, "post"),
    "sessions:ready": (session_pk, "post"),
    "sessions:discharge": (session_pk, "post"),
    "sessions:sign": (session_pk, "post"),
    "sessions:rems": (session_pk, "get"),
    "sessions:rems_submitted": (session_pk, "post"),
    "sessions:summary": (session_pk, "get"),
    "sessions:summary_pdf": (session_pk, "get"),
    "sessions:acknowledge": (alert_pk, "post"),
    "sessions:outside_reading_in_error": (outside_reading, "post"),
}
