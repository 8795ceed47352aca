"""The demo's consents agree with its courses: every course past evaluation has a signed KAP consent."""

import pytest
from django.core.management import call_command

from kapcare.clinics.models import Clinic
from kapcare.patients.consent import ConsentDocument, ConsentSignature
from kapcare.patients.models import CourseState


@pytest.mark.django_db
def test_every_demo_course_past_evaluation_has_a_signed_kap_consent_with_a_pdf():
    call_command("demo")
    clinic = Clinic.objects.get(slug="demo")
    assert ConsentDocument.objects.filter(clinic=clinic).count() == 4
    past = clinic.courses.exclude(
        state__in=[CourseState.EVALUATING, CourseState.NEEDS_CLEARANCE, CourseState.INELIGIBLE]
    )
    signed = set(ConsentSignature.objects.filter(kind="kap").values_list("patient_id", flat=True))
    assert set(past.values_list("patient_id", flat=True)) == signed
    evaluating = clinic.courses.filter(state=CourseState.EVALUATING).values_list("patient_id", flat=True)
    assert not signed & set(evaluating)
    assert all(
        bytes(pdf).startswith(b"%PDF") for pdf in ConsentSignature.objects.values_list("pdf", flat=True)
    )
    for signature in ConsentSignature.objects.defer("pdf").select_related("patient"):
        decided = signature.patient.courses.get().transitions.first()
        assert signature.signed_at < decided.at, "consent is signed before the eligibility decision"
    count = ConsentSignature.objects.count()
    call_command("demo")
    assert ConsentSignature.objects.count() == count


@pytest.mark.django_db
def test_every_demo_checklist_confirmation_is_for_a_day_the_patient_has_a_dosing_session(capsys):
    from django.utils import timezone

    from kapcare.patients.preparation import PreparationConfirmation
    from kapcare.sessions.models import DosingSession

    call_command("demo")
    days = {
        (s.patient_id, timezone.localdate(s.planned_start, s.site_zone))
        for s in DosingSession.objects.exclude(state="aborted").select_related("site")
    }
    confirmations = PreparationConfirmation.objects.all()
    assert confirmations.exists()
    for confirmation in confirmations:
        assert (confirmation.patient_id, confirmation.session_date) in days, confirmation
    # The portal's example patient has a session booked, so their portal shows its date.
    email = capsys.readouterr().out.split("portal: /portal/ with ")[1].split()[0]
    assert DosingSession.objects.filter(
        patient__email=email, state="scheduled", planned_start__gt=timezone.now()
    ).exists()
