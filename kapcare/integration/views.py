"""Integration in the staff app: the overdue queue, the chart's panel, booking sessions, progress
notes (write, pull in, rate goals, sign, amend), psychotherapy notes, goals and the note template."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapcare.audit.trail import record
from kapcare.clinics.access import get_object_for_user, staff_view
from kapcare.clinics.models import User
from kapcare.clinics.roles import Role, allows
from kapcare.integration import dosing, forms
from kapcare.integration.goals import carry_goals, progress_over_time
from kapcare.integration.models import (
    Amendment,
    Frozen,
    Goal,
    GoalRating,
    IntegrationSettings,
    JournalEntry,
    ProgressNote,
    PsychotherapyNote,
    Status,
    TherapySession,
)
from kapcare.patients.models import Course, Patient


def current_course(patient) -> Course | None:
    """The open course, else the most recent one."""
    courses = sorted(patient.courses.all(), key=lambda c: (c.is_open, c.opened_at))
    return courses[-1] if courses else None


def get_session(request, pk) -> TherapySession:
    session = get_object_for_user(
        request,
        TherapySession.objects.select_related("patient__clinic", "course", "therapist"),
        pk=pk,
    )
    return session


# The queue ---------------------------------------------------------------------------------


@require_GET
@staff_view("integration.view")
def queue(request):
    now = timezone.now()
    rows = [
        {
            "dosing": row.dosing,
            "patient": row.patient,
            "in_time": row.in_time,
            "hours_over": int((now - row.dosing.integration_due).total_seconds() // 3600),
        }
        for row in dosing.overdue(request.user, now)
    ]
    record(request, "list", detail={"page": "integration queue", "shown": len(rows)})
    context = {
        "rows": rows,
        "can_schedule": allows(request.membership.role, "integration.schedule"),
    }
    return render(request, "integration/queue.html", context)


# The chart's panel -------------------------------------------------------------------------


@require_GET
@staff_view("patients.view")
def panel(request, pk):
    """On every role's chart: when the sessions are. Notes, goals and shared journal entries only
    for the clinical team."""
    patient = get_object_for_user(request, Patient.objects.select_related("clinic"), pk=pk)
    course = current_course(patient)
    role = request.membership.role
    clinical = allows(role, "integration.view")
    sessions = list(
        TherapySession.objects.filter(patient=patient)
        .select_related("therapist", "note")
        .order_by("-scheduled_at")[:8]
    )
    goals = Goal.objects.filter(course=course, is_active=True) if course and clinical else Goal.objects.none()
    shared = JournalEntry.objects.visible_to(request.user).filter(patient=patient) if clinical else []
    context = {
        "patient": patient,
        "course": course,
        "sessions": sessions,
        "clinical": clinical,
        "goals": progress_over_time(goals),
        "shared": list(shared[:3]),
        "can_write": allows(role, "integration.write"),
        "can_schedule": allows(role, "integration.schedule"),
    }
    record(request, "view", patient, patient=patient, detail={"section": "integration"})
    template = "integration/panel.html#panel" if request.htmx else "integration/panel.html"
    return render(request, template, context)


# Booking a session -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view("integration.schedule")
def schedule(request, pk):
    patient = get_object_for_user(request, Patient.objects.select_related("clinic"), pk=pk)
    course = current_course(patient)
    if course is None:
        messages.error(request, "Open a course of treatment before booking sessions.")
        return redirect("patients:chart", pk=patient.pk)
    therapists = User.objects.filter(
        memberships__clinic=patient.clinic, memberships__role=Role.THERAPIST, memberships__is_active=True
    )
    dosings = [d for d in dosing.dosings_for(patient) if d.course_id == course.pk]
    initial = {
        "therapist": course.therapist_id
        or (request.user.pk if request.membership.role == Role.THERAPIST else None)
    }
    if request.GET.get("after"):
        initial["follows_dosing"] = request.GET["after"]
    form = forms.ScheduleForm(request.POST or None, initial=initial, therapists=therapists, dosings=dosings)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            session = form.save(commit=False)
            session.clinic_id, session.patient, session.course = patient.clinic_id, patient, course
            session.created_by = request.user
            session.save()
            carry_goals(course, by=request.user)
            record(request, "create", session, detail={"kind": session.kind, "mode": session.mode})
        messages.success(request, f"{session.get_kind_display()} booked.")
        return redirect("integration:session", pk=session.pk)
    return render(request, "integration/schedule.html", {"patient": patient, "course": course, "form": form})


# A session and its progress note -----------------------------------------------------------


@require_GET
@staff_view("integration.view")
def session(request, pk):
    session = get_session(request, pk)
    note = ProgressNote.objects.filter(session=session).select_related("signed_by", "author").first()
    ratings = list(note.ratings.select_related("goal")) if note else []
    context = {
        "session": session,
        "patient": session.patient,
        "note": note,
        "ratings": ratings,
        "amendments": list(note.amendments.select_related("by")) if note else [],
        "sections": note_sections(note) if note else [],
        "released": list(
            PsychotherapyNote.objects.visible_to(request.user)
            .filter(session=session, released_at__isnull=False)
            .exclude(author=request.user)
            .select_related("author")
        ),
        "can_write": allows(request.membership.role, "integration.write"),
        "follows": session.follows_dosing_id,
    }
    record(request, "view", session, detail={"note": note.pk if note else None})
    return render(request, "integration/session.html", context)


def note_sections(note):
    fields = {f.name: f for f in ProgressNote._meta.get_fields() if hasattr(f, "verbose_name")}
    return [
        (title, [(fields[name].verbose_name.capitalize(), getattr(note, name)) for name in names])
        for title, names in forms.SECTIONS[note.note_format]
    ]


def since_last_session(session):
    """When the previous session of the course took place: what 'since the last session' means."""
    previous = (
        TherapySession.objects.filter(course=session.course, scheduled_at__lt=session.scheduled_at)
        .exclude(status__in=[Status.CANCELLED, Status.NO_SHOW])
        .order_by("-scheduled_at")
        .values_list("scheduled_at", flat=True)
        .first()
    )
    return previous or session.course.opened_at


def measures_since(patient, since) -> list[dict]:
    from django.apps import apps

    if not apps.is_installed("kapcare.measures"):
        return []
    from kapcare.measures.models import Response

    responses = Response.objects.filter(patient=patient, completed_at__gt=since).select_related("instrument")
    return [
        {
            "instrument": r.instrument.title,
            "total": str(r.total) if r.total is not None else "",
            "band": r.band_label,
            "completed_at": r.completed_at.isoformat(),
        }
        for r in responses.order_by("completed_at")[:20]
    ]


def shared_entries_since(patient, since) -> list[JournalEntry]:
    return list(
        JournalEntry.objects.shared()
        .filter(patient=patient)
        .filter(Q(written_at__gt=since) | Q(shared_at__gt=since))
        .order_by("written_at")[:20]
    )


@require_http_methods(["GET", "POST"])
@staff_view("integration.write")
def note(request, pk):
    session = get_session(request, pk)
    patient = session.patient
    existing = ProgressNote.objects.filter(session=session).first()
    if existing is not None and existing.is_signed:
        messages.info(request, "This note is signed. Add an amendment to correct it.")
        return redirect("integration:session", pk=session.pk)
    fmt = existing.note_format if existing else IntegrationSettings.for_clinic(session.clinic_id).note_format
    instance = existing or ProgressNote(
        clinic_id=session.clinic_id, patient=patient, session=session, note_format=fmt, author=request.user
    )
    goals = list(Goal.objects.filter(course=session.course, is_active=True))
    rated = {r.goal_id: r.progress for r in existing.ratings.all()} if existing else {}
    form = forms.ProgressNoteForm(request.POST or None, instance=instance, goals=goals, ratings=rated)
    action = request.POST.get("action", "save")
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                note = save_note(request, form, session, action)
                if action == "sign":
                    note.sign(by=request.user, request=request)
        except ValidationError as error:
            add_errors(form, error)
        except Frozen as error:
            messages.error(request, str(error))
            return redirect("integration:session", pk=session.pk)
        else:
            if action == "sign":
                messages.success(
                    request, "Note signed. It can no longer be changed; corrections are amendments."
                )
                return redirect("integration:session", pk=session.pk)
            if action == "pull":
                messages.success(
                    request, "Pulled in the shared journal entries and measures since the last session."
                )
            else:
                messages.success(request, "Draft saved.")
            return redirect("integration:note", pk=session.pk)
    elif request.method == "GET":
        record(request, "view", session, detail={"note": existing.pk if existing else None, "editing": True})
    context = {
        "session": session,
        "patient": patient,
        "form": form,
        "note": existing,
        "sections": form.sections(fmt),
        "format": fmt,
        "since": since_last_session(session),
    }
    return render(request, "integration/note.html", context, status=400 if request.method == "POST" else 200)


def save_note(request, form, session, action) -> ProgressNote:
    """Save the draft and its goal ratings; pull in shared journal entries and measures if asked."""
    created = form.instance.pk is None
    note = form.save(commit=False)
    if action == "pull":
        since = since_last_session(session)
        note.journal_entries = [entry.snapshot() for entry in shared_entries_since(session.patient, since)]
        note.measures = measures_since(session.patient, since)
    note.save()
    for goal_id, progress in form.ratings().items():
        if progress is None:
            GoalRating.objects.filter(note=note, goal_id=goal_id).delete()
        else:
            GoalRating.objects.update_or_create(
                note=note,
                goal_id=goal_id,
                defaults={
                    "clinic_id": note.clinic_id,
                    "progress": progress,
                    "rated_at": session.scheduled_at,
                },
            )
    detail = (
        {"pulled": {"journal": len(note.journal_entries), "measures": len(note.measures)}}
        if action == "pull"
        else {}
    )
    record(request, "create" if created else "update", note, detail=detail)
    return note


@require_http_methods(["GET", "POST"])
@staff_view("integration.write")
def amend(request, pk):
    session = get_session(request, pk)
    note = ProgressNote.objects.filter(session=session, signed_at__isnull=False).first()
    if note is None:
        messages.info(request, "There is no signed note to amend: write or finish the note instead.")
        return redirect("integration:session", pk=session.pk)
    form = forms.AmendmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        Amendment.add(note, form.cleaned_data["text"], by=request.user, request=request)
        messages.success(request, "Amendment signed and added beside the original note.")
        return redirect("integration:session", pk=session.pk)
    if request.method == "GET":
        record(request, "view", note)
    return render(
        request,
        "integration/amend.html",
        {"session": session, "patient": session.patient, "note": note, "form": form},
    )


@require_POST
@staff_view("integration.write")
def session_status(request, pk):
    session = get_session(request, pk)
    try:
        session.set_status(request.POST.get("status", ""), by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Session marked {session.get_status_display().lower()}.")
    return redirect("integration:session", pk=session.pk)


# Psychotherapy notes -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view("integration.write")
def psychotherapy(request, pk):
    """The signed-in therapist's own psychotherapy note for a session; nobody else's is shown."""
    session = get_session(request, pk)
    mine = (
        PsychotherapyNote.objects.visible_to(request.user)
        .filter(session=session, author=request.user)
        .first()
    )
    if mine is not None and mine.released_at is not None:
        form = None
    else:
        form = forms.PsychotherapyNoteForm(request.POST or None, instance=mine)
    if request.method == "POST" and form is not None and form.is_valid():
        with transaction.atomic():
            note = form.save(commit=False)
            if note.pk is None:
                note.clinic_id, note.patient_id, note.session, note.author = (
                    session.clinic_id,
                    session.patient_id,
                    session,
                    request.user,
                )
            note.save()
            record(request, "update" if mine else "create", note, detail={"psychotherapy_note": True})
        messages.success(request, "Psychotherapy note saved. Only you can read it.")
        return redirect("integration:psychotherapy", pk=session.pk)
    if request.method == "GET" and mine is not None:
        record(request, "view", mine, detail={"psychotherapy_note": True})
    return render(
        request,
        "integration/psychotherapy.html",
        {"session": session, "patient": session.patient, "note": mine, "form": form},
    )


@require_POST
@staff_view("integration.write")
def psychotherapy_release(request, pk):
    session = get_session(request, pk)
    note = (
        PsychotherapyNote.objects.visible_to(request.user)
        .filter(session=session, author=request.user)
        .first()
    )
    if note is None:
        raise Http404("You have no psychotherapy note for this session.")
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Tick the box to confirm you release this note to the care team.")
    elif note.released_at is None:
        note.release(by=request.user, request=request)
        messages.success(
            request, "Released: the clinical team can now read this note. It stays out of exports."
        )
    return redirect("integration:psychotherapy", pk=session.pk)


# Goals and the clinic's template -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view("integration.write")
def goals(request, pk):
    patient = get_object_for_user(request, Patient.objects.select_related("clinic"), pk=pk)
    course = current_course(patient)
    if course is None:
        raise Http404("The patient has no course of treatment.")
    form = forms.GoalForm(request.POST or None, course=course)
    if request.method == "POST":
        if request.POST.get("action") == "carry":
            made = carry_goals(course, by=request.user)
            for goal in made:
                record(request, "create", goal)
            messages.success(
                request, f"Brought in {len(made)} goal{'s' if len(made) != 1 else ''} from the evaluation."
            )
            return redirect("integration:goals", pk=patient.pk)
        if form.is_valid():
            goal = Goal.objects.create(
                clinic_id=patient.clinic_id,
                patient=patient,
                course=course,
                text=form.cleaned_data["text"],
                position=Goal.objects.filter(course=course).count(),
                created_by=request.user,
            )
            record(request, "create", goal)
            messages.success(request, "Goal added.")
            return redirect("integration:goals", pk=patient.pk)
    else:
        record(request, "view", patient, patient=patient, detail={"section": "goals"})
    context = {
        "patient": patient,
        "course": course,
        "form": form,
        "goals": progress_over_time(Goal.objects.filter(course=course)),
    }
    return render(request, "integration/goals.html", context, status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@staff_view("integration.settings")
def settings_page(request):
    current = IntegrationSettings.for_clinic(request.membership.clinic_id)
    form = forms.SettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        form.save()
        record(request, "update", current, detail={"note_format": current.note_format})
        messages.success(request, f"New progress notes use the {current.get_note_format_display()} template.")
        return redirect("integration:settings")
    return render(request, "integration/settings.html", {"form": form})


def add_errors(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)
