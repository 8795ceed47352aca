"""Outcome measures in the staff app (the chart's panel, assigning, entering answers, alerts)
and the patient's questionnaire page, which the link itself opens."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapcare.audit.trail import record
from kapcare.clinics.access import get_object_for_user, staff_view
from kapcare.clinics.roles import allows
from kapcare.measures import forms, links, schedule
from kapcare.measures.models import (
    AlertError,
    Assignment,
    AssignmentError,
    Channel,
    EnteredVia,
    Instrument,
    Invitation,
    LinkUsed,
    Response,
    SafetyAlert,
    Schedule,
    record_response,
)
from kapcare.measures.scoring import ScoringError
from kapcare.measures.tasks import send_invitation
from kapcare.measures.trends import trends_for
from kapcare.patients.access import get_patient_for_user
from kapcare.patients.models import Course, Patient

# The Questionnaire and scoring JSON: lists need only an instrument's name and title.
HEAVY_INSTRUMENT_FIELDS = ("instrument__questionnaire", "instrument__scoring", "instrument__import_report")


def _current_course(patient) -> Course | None:
    """The open course, else the most recent one."""
    courses = sorted(Course.objects.filter(patient=patient), key=lambda c: (c.is_open, c.opened_at))
    return courses[-1] if courses else None


# The chart's panel ---------------------------------------------------------------------------


@require_GET
@staff_view("measures.view")
def panel(request, pk):
    # One audit event for the whole section: the patient, and that it was their measures.
    patient = get_object_for_user(request, Patient.objects.select_related("clinic"), pk=pk)
    course = _current_course(patient)
    zone = patient.clinic.zone
    role = request.membership.role
    context = {
        "patient": patient,
        "course": course,
        "trends": trends_for(patient, course, zone),
        "alerts": list(SafetyAlert.objects.filter(patient=patient).open().select_related("prescriber")),
        "waiting": list(
            Invitation.objects.filter(patient=patient)
            .open()
            .select_related("instrument", "assignment")
            .defer(*HEAVY_INSTRUMENT_FIELDS)
        ),
        "schedules": list(
            Assignment.objects.filter(patient=patient, is_active=True)
            .exclude(schedule=Schedule.ONCE)
            .select_related("instrument")
            .defer(*HEAVY_INSTRUMENT_FIELDS)
        ),
        "can_assign": allows(role, "measures.assign"),
        "can_enter": allows(role, "measures.enter"),
        "zone": zone,
    }
    record(request, "view", patient, patient=patient, detail={"section": "measures"})
    template = "measures/panel.html#panel" if request.htmx else "measures/panel.html"
    return render(request, template, context)


# Assigning ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view("measures.assign")
def assign(request, pk):
    patient = get_patient_for_user(request, pk)
    course = next((c for c in Course.objects.filter(patient=patient) if c.is_open), None)
    instruments = Instrument.objects.visible_to(request.user).assignable()
    form = forms.AssignForm(
        request.POST or None, patient=patient, course=course, clinic_instruments=instruments
    )
    if request.method == "POST" and form.is_valid():
        invitations = _assign(request, patient, course, form.cleaned_data)
        sent = [i for i in invitations if i.sent_at]
        messages.success(request, _assigned_message(form.cleaned_data, len(invitations), len(sent)))
        return redirect("patients:chart", pk=patient.pk)
    return render(request, "measures/assign.html", {"form": form, "patient": patient, "course": course})


def _assign(request, patient, course, data) -> list[Invitation]:
    with transaction.atomic():
        assignments = [
            Assignment.objects.create(
                clinic=patient.clinic,
                patient=patient,
                course=None if kind == Schedule.ONCE else course,
                instrument=data["instrument"],
                schedule=kind,
                channel=data["channel"],
                created_by=request.user,
            )
            for kind in data["schedules"]
        ]
        invitations = [i for a in assignments for i in schedule.sync(a) if i is not None]
        for assignment in assignments:
            record(
                request,
                "create",
                assignment,
                patient=patient,
                detail={"instrument": assignment.instrument.name, "schedule": assignment.schedule},
            )
    if data["channel"] != Channel.CLINIC:
        # What is due goes now; a questionnaire due later (before a session next week) goes with
        # the sweep when it falls due.
        for invitation in (i for i in invitations if i.due_at <= timezone.now()):
            send_invitation.enqueue(invitation.pk)
            invitation.refresh_from_db()
    return invitations


def _assigned_message(data, made: int, sent: int) -> str:
    text = f"{data['instrument'].title} assigned."
    if data["channel"] == Channel.CLINIC:
        return text + (f" {made} waiting to be entered in clinic." if made else "")
    if sent:
        return text + f" Link sent by {Channel(data['channel']).label.lower()}."
    return text + " The link goes out when each occasion falls due."


# Cancelling and resending ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view("measures.assign")
def assignment_cancel(request, pk):
    assignment = get_object_for_user(
        request,
        Assignment.objects.select_related("patient", "instrument").defer(*HEAVY_INSTRUMENT_FIELDS),
        pk=pk,
    )
    form = forms.CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            withdrawn = assignment.cancel(
                by=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except AssignmentError as error:
            form.add_error(None, str(error))
        else:
            text = f"{assignment.instrument.title}: no longer asked."
            if withdrawn:
                text += f" {withdrawn} waiting questionnaire{'s' if withdrawn != 1 else ''} withdrawn."
            messages.success(request, text)
            return redirect("patients:chart", pk=assignment.patient_id)
    what = f"{assignment.instrument.title}, {assignment.get_schedule_display().lower()}"
    return _cancel_page(request, assignment.patient, what, form, stops_schedule=True)


@require_http_methods(["GET", "POST"])
@staff_view("measures.assign")
def invitation_cancel(request, pk):
    invitation = get_object_for_user(
        request,
        Invitation.objects.select_related("patient__clinic", "instrument").defer(*HEAVY_INSTRUMENT_FIELDS),
        pk=pk,
    )
    form = forms.CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation.cancel(by=request.user, reason=form.cleaned_data["reason"], request=request)
        except AssignmentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{invitation.instrument.title} ({invitation.occasion}) cancelled.")
            return redirect("patients:chart", pk=invitation.patient_id)
    due = timezone.localtime(invitation.due_at, invitation.patient.clinic.zone)
    what = f"{invitation.instrument.title}, {invitation.occasion}, due {due:%b %-d, %Y}"
    return _cancel_page(request, invitation.patient, what, form, stops_schedule=False)


def _cancel_page(request, patient, what, form, *, stops_schedule):
    context = {"patient": patient, "what": what, "form": form, "stops_schedule": stops_schedule}
    return render(request, "measures/cancel.html", context)


@require_POST
@staff_view("measures.assign")
def invitation_resend(request, pk):
    """Send the link again, as a fresh link (the old one stops working)."""
    invitation = get_object_for_user(
        request,
        Invitation.objects.select_related("patient", "assignment", "instrument").defer(
            *HEAVY_INSTRUMENT_FIELDS
        ),
        pk=pk,
    )
    try:
        invitation.renew_link(by=request.user, request=request)
    except AssignmentError as error:
        messages.error(request, str(error))
    else:
        send_invitation.enqueue(invitation.pk)
        invitation.refresh_from_db(fields=["sent_at"])
        how = invitation.assignment.get_channel_display().lower()
        if invitation.sent_at:
            messages.success(request, f"A new link was sent by {how}; the earlier link no longer works.")
        else:
            messages.success(request, f"A new link is being sent by {how}; the earlier link no longer works.")
    return redirect("patients:chart", pk=invitation.patient_id)


# Entering answers in clinic ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view("measures.enter")
def enter(request, pk):
    patient = get_patient_for_user(request, pk)
    instruments = Instrument.objects.visible_to(request.user).assignable()
    instrument = instruments.filter(name=request.GET.get("instrument", "")).first()
    if instrument is None:
        return render(request, "measures/enter_choose.html", {"patient": patient, "instruments": instruments})
    invitation = (
        Invitation.objects.visible_to(request.user)
        .filter(patient=patient, instrument=instrument)
        .open()
        .first()
    )
    questions = forms.questions_for(instrument)
    if request.method == "POST":
        answers = forms.read_answers(questions, request.POST)
        if forms.validate(instrument, questions, answers):
            try:
                response = record_response(
                    instrument,
                    patient,
                    answers,
                    via=EnteredVia.CLINIC,
                    by=request.user,
                    invitation=invitation,
                    request=request,
                )
            except (ScoringError, LinkUsed) as error:  # pragma: no cover - validate() ran the same checks
                messages.error(request, str(error))
            else:
                messages.success(request, _saved_message(response))
                return redirect("patients:chart", pk=patient.pk)
    context = {
        "patient": patient,
        "instrument": instrument,
        "questions": questions,
        "staff": True,
        "has_errors": any(q.errors for q in questions),
    }
    return render(request, "measures/enter.html", context)


def _saved_message(response: Response) -> str:
    text = f"{response.instrument.title} saved: {_plain(response.total)}"
    if response.band_label:
        text += f", {response.band_label.lower()}"
    if response.is_urgent:
        text += ". A safety alert was raised; see Alerts."
    return text + "."


def _plain(value):
    return int(value) if value is not None and value == int(value) else value


@require_GET
@staff_view("measures.view")
def results(request, pk, instrument):
    """Every result of one instrument for a patient, newest first, a page at a time."""
    patient = get_patient_for_user(request, pk)
    found = get_object_or_404(Instrument.objects.visible_to(request.user), name=instrument)
    rows = (
        Response.objects.filter(patient=patient, instrument=found)
        .order_by("-completed_at", "-pk")
        .values("pk", "total", "band_label", "flags", "completed_at")
    )
    page = Paginator(rows, RESULTS_PAGE).get_page(request.GET.get("page"))
    record(request, "list", patient=patient, detail={"instrument": found.name, "page": page.number})
    return render(request, "measures/results.html", {"patient": patient, "instrument": found, "page": page})


RESULTS_PAGE = 50


@require_GET
@staff_view("measures.view")
def response_detail(request, pk):
    response = get_object_for_user(
        request, Response.objects.select_related("instrument", "patient", "entered_by"), pk=pk
    )
    record(request, "view", response, patient=response.patient_id)
    questions = forms.questions_for(response.instrument)
    forms.restore(questions, response.answers)
    rows = [
        (q, dict(q.options).get(q.value, q.value), response.item_scores.get(q.link_id))
        for q in questions
        if q.answerable
    ]
    return render(
        request, "measures/response.html", {"response": response, "rows": rows, "patient": response.patient}
    )


# Alerts ------------------------------------------------------------------------------------


@require_GET
@staff_view("measures.view")
def alerts(request):
    show_closed = request.GET.get("show") == "closed"
    found = (
        SafetyAlert.objects.visible_to(request.user)
        .select_related("patient", "prescriber", "response__instrument")
        .defer(*("response__" + f for f in HEAVY_INSTRUMENT_FIELDS))
    )
    found = found.exclude(closed_at=None) if show_closed else found.open()
    found = list(found.order_by("-raised_at")[:100])
    record(request, "list", detail={"page": "safety alerts", "closed": show_closed})
    return render(request, "measures/alerts.html", {"alerts": found, "show_closed": show_closed})


@require_GET
@staff_view("measures.view")
def alert_detail(request, pk):
    alert = _get_alert(request, pk)
    form = forms.CloseAlertForm()
    return render(request, "measures/alert.html", _alert_context(request, alert, form))


@require_POST
@staff_view("alerts.manage")
def alert_close(request, pk):
    alert = _get_alert(request, pk)
    form = forms.CloseAlertForm(request.POST)
    if form.is_valid():
        try:
            alert.close(
                by=request.user,
                action=form.cleaned_data["action"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except AlertError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Alert closed; the action is recorded.")
            return redirect("measures:alerts")
    return render(request, "measures/alert.html", _alert_context(request, alert, form))


def _get_alert(request, pk) -> SafetyAlert:
    alert = get_object_for_user(
        request,
        SafetyAlert.objects.select_related(
            "patient__clinic", "prescriber", "closed_by", "response__instrument", "follow_up_assignee"
        ),
        pk=pk,
    )
    if request.method == "GET":
        record(request, "view", alert, patient=alert.patient_id)
    return alert


def _alert_context(request, alert, form) -> dict:
    return {
        "alert": alert,
        "form": form,
        "patient": alert.patient,
        "can_close": alert.is_open and allows(request.membership.role, "alerts.manage"),
    }


# The patient's questionnaire page ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def answer(request, token):
    try:
        invitation = links.invitation_for(token)
    except links.LinkError as error:
        status = 404 if error.reason == "invalid" else 410
        return render(request, "measures/link_problem.html", {"reason": error.reason}, status=status)
    request.audit_role = "patient"
    instrument, patient = invitation.instrument, invitation.patient
    questions = forms.questions_for(instrument)
    if request.method == "GET":
        forms.restore(questions, invitation.draft)
        record(
            request, "view", invitation, patient=patient.pk, clinic=invitation.clinic_id, actor="patient link"
        )
        return _answer_page(request, invitation, questions)
    answers = forms.read_answers(questions, request.POST)
    if "save" in request.POST:
        return _save_draft(request, invitation, questions, answers)
    if not forms.validate(instrument, questions, answers):
        return _answer_page(request, invitation, questions)
    try:
        response = record_response(
            instrument, patient, answers, via=EnteredVia.LINK, invitation=invitation, request=request
        )
    except LinkUsed:
        cancelled = Invitation.objects.filter(pk=invitation.pk, cancelled_at__isnull=False).exists()
        reason = "cancelled" if cancelled else "used"
        return render(request, "measures/link_problem.html", {"reason": reason}, status=410)
    return render(
        request,
        "measures/answered.html",
        {"response": response, "clinic": None, "clinic_name": patient.clinic.name},
    )


def _save_draft(request, invitation, questions, answers):
    """Keep the answers so far, whatever their state; nothing is scored until the patient submits."""
    now = timezone.now()
    Invitation.objects.filter(pk=invitation.pk).waiting().update(
        draft={k: (str(v) if not isinstance(v, bool | int | str) else v) for k, v in answers.items()},
        draft_saved_at=now,
    )
    record(
        request,
        "update",
        invitation,
        patient=invitation.patient_id,
        clinic=invitation.clinic_id,
        actor="patient link",
        detail={"draft": len(answers)},
    )
    if request.htmx:
        return HttpResponse(
            f"Progress saved at {timezone.localtime(now, invitation.patient.clinic.zone):%-I:%M %p}."
        )
    invitation.draft_saved_at = now
    return _answer_page(request, invitation, questions, saved=True)


def _answer_page(request, invitation, questions, status=200, saved=False):
    context = {
        "invitation": invitation,
        "instrument": invitation.instrument,
        "questions": questions,
        "clinic_name": invitation.patient.clinic.name,
        "saved": saved,
        "has_errors": any(q.errors for q in questions),
        "token": request.resolver_match.kwargs["token"],
    }
    return render(request, "measures/answer.html", context, status=status)
