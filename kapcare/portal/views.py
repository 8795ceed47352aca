"""The patient portal: sign-in by link, the home page, consent documents and the preparation checklist."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapcare.patients.consent import Channel, ConsentDocument, ConsentKind, ConsentSignature, consent_status
from kapcare.patients.consent_forms import ConsentSignForm
from kapcare.patients.models import OPEN_STATES, CourseState
from kapcare.patients.portal_access import (
    actor_for,
    get_portal_patient,
    portal_record,
    portal_view,
    sign_in_patient,
    sign_out_patient,
)
from kapcare.patients.preparation import PreparationConfirmation, checklist_status
from kapcare.portal.forms import PreparationForm, SignInForm
from kapcare.portal.panels import portal_panels
from kapcare.portal.signin import LinkError, find_link, request_links, use_link

# What happens next, in plain words, for each state of the patient's course.
NEXT_STEPS = {
    CourseState.EVALUATING: (
        "Your care team is getting to know you. Next: answer the questionnaires and fill in your "
        "history below, sign your consent documents, and meet your prescriber for your evaluation."
    ),
    CourseState.NEEDS_CLEARANCE: (
        "Your prescriber has asked for medical clearance before going on, usually from your own doctor. "
        "The clinic will tell you what they need."
    ),
    CourseState.ELIGIBLE: (
        "Your prescriber has decided this treatment may suit you. Next: your treatment plan and a "
        "preparation session with your therapist."
    ),
    CourseState.INELIGIBLE: (
        "After your evaluation, your prescriber decided this treatment is not right for you now. "
        "The clinic will talk with you about other options."
    ),
    CourseState.ACTIVE: (
        "Your course is under way. The day before each dosing session, confirm your preparation "
        "checklist here."
    ),
    CourseState.PAUSED: "Your course is paused. Call the clinic when you want to talk about going on.",
    CourseState.COMPLETED: (
        "Your course is complete. Questionnaires after the course help you and the clinic see how "
        "you are doing."
    ),
    CourseState.WITHDRAWN: "Your course has ended. The clinic is there if you want to talk.",
}
# The checklist is for patients whose sessions are planned or under way.
CHECKLIST_STATES = frozenset({CourseState.ELIGIBLE, CourseState.ACTIVE})


@require_http_methods(["GET", "POST"])
def signin(request):
    if get_portal_patient(request) is not None:
        return redirect("portal:home")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        request_links(request, form.cleaned_data["contact"], form.cleaned_data["date_of_birth"])
        return render(request, "portal/link_sent.html", {"channel": form.cleaned_data["contact"].channel})
    return render(request, "portal/signin.html", {"form": form})


@require_http_methods(["GET", "POST"])
def link(request, token):
    """GET asks the patient to continue (so a mail scanner opening the link does not spend it)."""
    try:
        if request.method == "POST":
            patient = use_link(request, token)
        else:
            return render(request, "portal/link.html", {"link": find_link(request, token)})
    except LinkError as error:
        return render(request, "portal/link_error.html", {"error": str(error)}, status=400)
    sign_in_patient(request, patient)
    return redirect("portal:home")


@require_POST
def signout(request):
    patient = get_portal_patient(request)
    if patient is not None:
        portal_record(request, "sign_out", detail={"portal": True})
    sign_out_patient(request)
    messages.info(request, "You are signed out.")
    return redirect("portal:signin")


@require_GET
@portal_view
def home(request):
    patient = request.portal_patient
    course = patient.courses.filter(state__in=OPEN_STATES).first() or patient.courses.first()
    today = timezone.localdate()
    context = {
        "patient": patient,
        "course": course,
        "next_steps": NEXT_STEPS.get(course.state) if course else None,
        "consents": consent_status(patient),
        "show_checklist": course is not None and course.state in CHECKLIST_STATES,
        "tomorrow": checklist_status(patient, today + timedelta(days=1)),
        "today": checklist_status(patient, today),
        "panels": portal_panels(),
        "dosing_sessions": upcoming_dosing(patient),
    }
    return render(request, "portal/home.html", context)


def upcoming_dosing(patient, limit: int = 3) -> list:
    """The patient's next booked dosing sessions, each with the day before it: the day to confirm
    the preparation checklist."""
    from kapcare.sessions.models import DosingSession

    sessions = list(
        DosingSession.objects.filter(patient=patient, state="scheduled", planned_start__gte=timezone.now())
        .select_related("site")
        .order_by("planned_start")[:limit]
    )
    for session in sessions:
        session.day_before = timezone.localdate(session.planned_start) - timedelta(days=1)
    return sessions


def current_document(patient, kind) -> ConsentDocument:
    if kind not in ConsentKind.values:
        raise Http404("No such document.")
    document = ConsentDocument.objects.current(patient.clinic_id).get(kind)
    if document is None:
        raise Http404("The clinic has not published this document.")
    return document


@require_http_methods(["GET", "POST"])
@portal_view
def consent(request, kind):
    patient = request.portal_patient
    document = current_document(patient, kind)
    signed = (
        ConsentSignature.objects.filter(patient=patient, document=document, withdrawal__isnull=True)
        .defer("pdf")
        .first()
    )
    form = ConsentSignForm(request.POST or None, document=document)
    if request.method == "POST" and signed is None and form.is_valid():
        data = form.cleaned_data
        try:
            document.sign(
                patient,
                typed_name=data["typed_name"],
                shown_version=data["version"],
                shown_sha256=data["sha256"],
                channel=Channel.PORTAL,
                request=request,
                actor=actor_for(patient),
            )
        except ValidationError as error:
            form.add_error(None, error)
            # Show the version that is current now, so the patient reads what they would sign.
            data = form.data.copy()
            data["version"], data["sha256"] = str(document.version), document.sha256
            form.data = data
        else:
            messages.success(request, f"Thank you. You signed “{document.title}”, v{document.version}.")
            return redirect("portal:home")
    context = {"patient": patient, "document": document, "signed": signed, "form": form}
    return render(request, "portal/consent.html", context)


@require_POST
@portal_view
def consent_withdraw(request, kind):
    """The patient withdraws a consent they signed; the portal is their written notice."""
    patient = request.portal_patient
    signature = (
        ConsentSignature.objects.filter(patient=patient, kind=kind, withdrawal__isnull=True)
        .defer("pdf")
        .first()
    )
    if signature is None:
        raise Http404("There is no signed consent of this kind to withdraw.")
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Tick the box to confirm that you withdraw this consent.")
        return redirect("portal:consent", kind=kind)
    signature.withdraw(channel=Channel.PORTAL, request=request, actor=actor_for(patient))
    messages.success(
        request, f"You withdrew your {signature.get_kind_display().lower()}. The clinic is told."
    )
    return redirect("portal:home")


@require_GET
@portal_view
def consent_pdf(request, pk):
    signature = ConsentSignature.objects.filter(patient=request.portal_patient, pk=pk).first()
    if signature is None:
        raise Http404("No such signed document.")
    portal_record(request, "export", signature, detail={"pdf": True})
    response = HttpResponse(bytes(signature.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="consent-{signature.kind}-v{signature.version}.pdf"'
    return response


@require_http_methods(["GET", "POST"])
@portal_view
def preparation(request):
    patient = request.portal_patient
    course = patient.courses.filter(state__in=CHECKLIST_STATES).first()
    today = timezone.localdate()
    booked = booked_days(patient, today)
    form = PreparationForm(request.POST or None, today=today, clinic=patient.clinic, booked_days=booked)
    if request.method == "POST" and course is not None and form.is_valid():
        day = form.cleaned_data["session_date"]
        if checklist_status(patient, day).confirmed:
            message = f"You already confirmed your preparation for {day:%A %B} {day.day}."
            form.add_error("session_date", message)
        else:
            PreparationConfirmation.confirm(
                patient, day, course=course, request=request, actor=actor_for(patient)
            )
            messages.success(request, f"Thank you. Your preparation for {day:%A %B} {day.day} is confirmed.")
            return redirect("portal:home")
    recent = PreparationConfirmation.objects.filter(patient=patient)[:5]
    context = {
        "patient": patient,
        "course": course,
        "form": form,
        "recent": recent,
        "booked": booked,
        "upcoming": upcoming_dosing(patient, limit=1),
    }
    return render(request, "portal/preparation.html", context)


def booked_days(patient, today) -> set:
    """Today and tomorrow, where the patient has a dosing session booked that has not ended: the
    days whose checklist they may confirm (a confirmation for a day with no session would tell the
    nurse at check-in nothing)."""
    from kapcare.sessions.models import DosingSession, State

    starts = DosingSession.objects.filter(
        patient=patient,
        planned_start__date__in=[today, today + timedelta(days=1)],
    ).exclude(state__in=[State.DISCHARGED, State.ABORTED])
    return {timezone.localdate(start) for start in starts.values_list("planned_start", flat=True)}
