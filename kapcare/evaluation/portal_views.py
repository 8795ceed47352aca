"""The patient's side of the evaluation: the history form, filled in the portal ahead of the visit
and kept as reported by the patient until a clinician reviews it."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from kapcare.evaluation.forms import PatientHistoryForm, history_instance, save_patient_history
from kapcare.patients.models import CourseState
from kapcare.patients.portal_access import portal_view

# The history helps only before the prescriber decides.
BEFORE_DECISION = {CourseState.EVALUATING, CourseState.NEEDS_CLEARANCE}


def course_in_evaluation(patient):
    return patient.courses.filter(state__in=BEFORE_DECISION).first()


@require_GET
@portal_view
def panel(request):
    """The portal home's section: whether the history is still to fill in, or received."""
    course = course_in_evaluation(request.portal_patient)
    evaluation = history_instance(course) if course else None
    context = {"course": course, "evaluation": evaluation}
    return render(request, "evaluation/portal_history.html#panel", context)


@require_http_methods(["GET", "POST"])
@portal_view
def history(request):
    course = course_in_evaluation(request.portal_patient)
    if course is None:
        messages.info(request, "There is no history form to fill in now.")
        return redirect("portal:home")
    instance = history_instance(course)
    if instance.is_decided:
        # Signed means frozen: what changed goes to the care team, who start a re-evaluation.
        messages.info(
            request,
            "Your clinician has already made a decision on your history. "
            "If something has changed, tell your care team at your next visit.",
        )
        return redirect("portal:home")
    form = PatientHistoryForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        request.audit_role = "patient"
        save_patient_history(course, form, request=request)
        messages.success(request, "Thank you. Your clinician will go through your answers with you.")
        return redirect("portal:home")
    return render(request, "evaluation/portal_history.html", {"form": form, "course": course})
