"""Dosing session pages: the live board, the session's own page and each step on it."""

from decimal import Decimal

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapcare.audit.trail import record
from kapcare.clinics.access import get_object_for_user, staff_view
from kapcare.clinics.models import Site
from kapcare.clinics.roles import allows
from kapcare.lib.sql import first_and_count
from kapcare.patients.access import get_course_for_user, get_patient_for_user
from kapcare.sessions import forms, monitor
from kapcare.sessions.access import get_alert_for_user, get_session_for_user, get_site_for_user
from kapcare.sessions.board import ratings_due, site_board
from kapcare.sessions.discharge import scale_for
from kapcare.sessions.models import (
    DosingSession,
    Frozen,
    LedgerEntry,
    RatingKind,
    RemsForm,
    SessionError,
    VitalSign,
)
from kapcare.sessions.models import dose as dosing
from kapcare.sessions.models.rems import rems_missing
from kapcare.sessions.rules import rule
from kapcare.sessions.summary import summary_context, vital_rows
from kapcare.sessions.vitals import FIELDS as VITAL_FIELDS

# Board --------------------------------------------------------------------------------------------


@require_GET
@staff_view("sessions.view")
def board_home(request):
    site = Site.objects.visible_to(request.user).filter(is_active=True).order_by("name").first()
    if site is None:
        return render(request, "sessions/no_sites.html")
    return redirect("sessions:board", pk=site.pk)


@require_GET
@staff_view("sessions.view")
def board(request, pk):
    site = get_site_for_user(request, pk)
    now = timezone.now()
    rows = site_board(site, now, request=request)
    record(
        request,
        "list",
        detail={"page": "live board", "site": site.pk, "sessions": [r.session.pk for r in rows]},
    )
    sites = Site.objects.visible_to(request.user).filter(is_active=True).order_by("name")
    context = {
        "site": site,
        "rows": rows,
        "now": now,
        "sites": sites,
        "open_alerts": sum(len(r.alerts) for r in rows),
    }
    template = "sessions/board.html#board" if request.htmx else "sessions/board.html"
    return render(request, template, context)


# The session page --------------------------------------------------------------------------------


def session_context(request, session, **forms_in):
    role = request.membership.role
    rules = session.rules
    vitals = list(session.vitals.all())
    context = {
        "session": session,
        "rules": rules,
        "route_label": session.route_name,
        "prechecks": list(session.prechecks.select_related("checked_by")),
        "transitions": list(session.transitions.select_related("by")),
        "address_corrections": list(session.address_corrections.select_related("by")),
        "orders": list(session.orders.select_related("ordered_by")),
        "administrations": list(session.administrations.select_related("given_by", "verified_by")),
        "vitals": vitals,
        "ratings": list(session.ratings.select_related("by")),
        "notes": list(session.notes.select_related("by")),
        "events": list(session.adverse_events.select_related("by")),
        "alerts": list(session.alerts.select_related("acknowledged_by")),
        "can_chart": allows(role, "sessions.chart") and not session.is_signed,
        "can_order": allows(role, "sessions.order") and not session.is_signed,
        "can_sign": allows(role, "sessions.sign"),
        "can_see_protocol": allows(role, "protocol.view"),
        "can_correct_address": allows(role, "sessions.schedule") and session.address_correctable,
        "now": timezone.now(),
        "minimum": session.minimum_monitoring,
        "checklist": rule(rules, "discharge.checklist").value,
        "scale_label": scale_for(rules)[1],
        "rems_missing": rems_missing(session) if session.is_esketamine else [],
    }
    # The History panel: state changes and address corrections, in the order they happened.
    context["history"] = sorted(context["transitions"] + context["address_corrections"], key=lambda h: h.at)
    context["vital_rows"] = vital_rows(vitals)
    for row in context["vital_rows"]:
        if session.dosed_at and not row["pre_dose"]:
            row["minute"] = int((row["taken_at"] - session.dosed_at).total_seconds() // 60)
    context["due_at"] = monitor.next_due(session, vitals[-1].taken_at if vitals else None, context["now"])
    last_rated = {r.kind: r.taken_at for r in sorted(context["ratings"], key=lambda r: r.taken_at)}
    context["ratings_due"] = ratings_due(session, context["now"], last_rated)
    defaults = {
        "vitals_form": forms.VitalsForm(rules=rules),
        "rating_form": forms.RatingForm(initial={"kind": RatingKind.SEDATION}),
        "dissociation_form": forms.DissociationForm(rules=rules),
        "note_form": forms.NoteForm(),
        "event_form": forms.AdverseEventForm(
            initial={"onset_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
        ),
        "ack_form": forms.AcknowledgeForm(),
        "ready_form": forms.ReadyForm(rules=rules),
        "discharge_form": forms.DischargeForm(),
        "reason_form": forms.ReasonForm(),
        "waste_form": forms.WasteForm(clinic_id=session.clinic_id, user=request.user),
    }
    context.update(defaults | forms_in)
    return context


def show(request, session, status=200, **forms_in):
    return render(
        request, "sessions/session.html", session_context(request, session, **forms_in), status=status
    )


@require_GET
@staff_view("sessions.view")
def session_detail(request, pk):
    return show(request, get_session_for_user(request, pk))


def refused(request, session, error, status=200, **forms_in):
    """Re-render the session with what went wrong; nothing was saved."""
    messages.error(request, str(error))
    return show(request, session, status=409 if isinstance(error, Frozen) else status, **forms_in)


def session_step(request, pk, *, form, name: str, invalid: str, act, done):
    """One form, one model method: bind `form(session)`, call `act(session, cleaned_data)`, and
    go back to the session page saying `done` (a text, or made from what `act` returned). A form
    that does not validate, or a step the session refuses, re-renders the page with the form
    under `name` and what went wrong; nothing is saved."""
    session = get_session_for_user(request, pk)
    bound = form(session)
    if not bound.is_valid():
        return refused(request, session, invalid, **{name: bound})
    try:
        result = act(session, bound.cleaned_data)
    except SessionError as error:
        return refused(request, session, error, **{name: bound})
    messages.success(request, done(result, bound.cleaned_data) if callable(done) else done)
    return redirect("sessions:detail", pk=session.pk)


def alerts_said(request, alerts) -> None:
    for alert in alerts:
        messages.error(request, f"Alert: {alert.message}")


# Check-in ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view("sessions.chart")
def check_in(request, pk):
    session = get_session_for_user(request, pk)
    form = forms.CheckInForm(request.POST or None, rules=session.rules)
    if request.method == "POST" and form.is_valid():
        answers = form.cleaned_data | {"weight_kg": form.cleaned_data["weight_kg"]}
        try:
            checks = session.check_in(by=request.user, request=request, answers=answers)
        except SessionError as error:
            form.add_error(None, str(error))
        else:
            failed = [c for c in checks if not c.passed]
            if failed:
                messages.warning(
                    request, f"Held: {len(failed)} pre-check(s) failed. A prescriber may override."
                )
            else:
                messages.success(request, "All pre-checks passed; cleared to dose.")
            return redirect("sessions:detail", pk=session.pk)
    context = {
        "session": session,
        "form": form,
        "hold_s": rule(session.rules, "vitals.hold_systolic_above"),
        "hold_d": rule(session.rules, "vitals.hold_diastolic_above"),
    }
    return render(request, "sessions/check_in.html", context)


@require_POST
@staff_view("sessions.order")
def override(request, pk):
    return session_step(
        request,
        pk,
        form=lambda session: forms.ReasonForm(request.POST),
        name="reason_form",
        invalid="Give the reason for going ahead despite the hold.",
        act=lambda session, data: session.override_hold(
            by=request.user, reason=data["reason"], request=request
        ),
        done="Hold overridden; the session is cleared to dose.",
    )


@require_POST
@staff_view("sessions.chart")
def abort(request, pk):
    return session_step(
        request,
        pk,
        form=lambda session: forms.ReasonForm(request.POST),
        name="reason_form",
        invalid="Give the reason the session is stopped.",
        act=lambda session, data: session.abort(by=request.user, reason=data["reason"], request=request),
        done="Session stopped.",
    )


# Dose -----------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view("sessions.order")
def order(request, pk):
    session = get_session_for_user(request, pk)
    initial = {"route": session.route}
    if session.planned_mg_per_kg is not None:
        initial |= {"unit": "mg/kg", "amount": session.planned_mg_per_kg}
    elif session.planned_dose_mg is not None:
        initial |= {"unit": "mg", "amount": session.planned_dose_mg}
    form = forms.OrderForm(request.POST or None, rules=session.rules, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        amount = {"amount_mg": data["amount"]} if data["unit"] == "mg" else {"mg_per_kg": data["amount"]}
        try:
            placed = dosing.order_dose(
                session, by=request.user, route=data["route"], request=request, **amount
            )
        except SessionError as error:
            form.add_error(None, str(error))
        else:
            said = f"Ordered {placed.amount_mg} mg {placed.route_label}"
            if placed.iv_equivalent_mg is not None:
                said += f" (IV-equivalent {placed.iv_equivalent_mg} mg)"
            messages.success(request, said + ".")
            return redirect("sessions:detail", pk=session.pk)
    limits = None
    if session.is_esketamine:
        limits = dosing.esketamine_limits()
    elif session.weight_kg:
        route = form.data.get("route") or session.route
        if route in session.rules.get("routes", {}):
            limits = dosing.dose_limits(session.rules, route, Decimal(session.weight_kg))
            limits["text"] = dosing.limit_text(limits, Decimal(session.weight_kg))
    context = {
        "session": session,
        "form": form,
        "limits": limits,
        "bioavailability": {key: r["bioavailability"]["value"] for key, r in session.rules["routes"].items()},
    }
    return render(request, "sessions/order.html", context)


@require_http_methods(["GET", "POST"])
@staff_view("sessions.chart")
def administer(request, pk):
    session = get_session_for_user(request, pk)
    placed = session.orders.first()
    initial = {"given_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    if placed is not None:
        initial |= {"route": placed.route, "amount_mg": placed.amount_mg}
    form = forms.AdministerForm(
        request.POST or None,
        rules=session.rules,
        clinic_id=session.clinic_id,
        user=request.user,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            dosing.administer(session, by=request.user, request=request, **form.cleaned_data)
        except SessionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Dose recorded and verified. Monitoring starts with the first reading.")
            return redirect("sessions:detail", pk=session.pk)
    context = {"session": session, "form": form, "order": placed}
    return render(request, "sessions/administer.html", context)


@require_POST
@staff_view("sessions.chart")
def waste(request, pk):
    def act(session, data):
        dosing.waste(
            session,
            data["product"],
            data["amount_mg"],
            by=request.user,
            witness=data["witness"],
            note=data["note"],
            request=request,
        )

    return session_step(
        request,
        pk,
        form=lambda session: forms.WasteForm(request.POST, clinic_id=session.clinic_id, user=request.user),
        name="waste_form",
        invalid="Check the wasted amount and its witness.",
        act=act,
        done=lambda _, data: f"{data['amount_mg']} mg wasted, witnessed by {data['witness'].display_name}.",
    )


# Monitoring -------------------------------------------------------------------------------------------


@require_POST
@staff_view("sessions.chart")
def add_vitals(request, pk):
    def act(session, data):
        _, alerts = monitor.record_vitals(
            session,
            by=request.user,
            taken_at=data.get("taken_at") or timezone.now(),
            values={f: data.get(f) for f in (*VITAL_FIELDS, "temperature_unit")},
            confirmed_note=data["confirmed_note"],
            request=request,
        )
        alerts_said(request, alerts)

    return session_step(
        request,
        pk,
        form=lambda session: forms.VitalsForm(request.POST, rules=session.rules),
        name="vitals_form",
        invalid="The vital signs were not saved: see below.",
        act=act,
        done="Vital signs saved.",
    )


@require_POST
@staff_view("sessions.chart")
def add_rating(request, pk):
    itemised = request.POST.get("kind") == RatingKind.DISSOCIATION

    def form(session):
        if itemised:
            return forms.DissociationForm(request.POST, rules=session.rules)
        return forms.RatingForm(request.POST)

    def act(session, data):
        _, alerts = monitor.record_rating(
            session,
            by=request.user,
            kind=data["kind"],
            score=data.get("score"),
            items=form_items(session, data) if itemised else None,
            taken_at=timezone.now(),
            request=request,
        )
        alerts_said(request, alerts)

    return session_step(
        request,
        pk,
        form=form,
        name="dissociation_form" if itemised else "rating_form",
        invalid="The rating was not saved: see below.",
        act=act,
        done="Rating saved.",
    )


def form_items(session, data) -> dict:
    return {
        int(name.removeprefix("item_")): score for name, score in data.items() if name.startswith("item_")
    }


@require_POST
@staff_view("sessions.chart")
def add_note(request, pk):
    return session_step(
        request,
        pk,
        form=lambda session: forms.NoteForm(request.POST),
        name="note_form",
        invalid="Write the observation.",
        act=lambda session, data: monitor.add_note(
            session, by=request.user, text=data["text"], request=request
        ),
        done="Observation saved.",
    )


@require_POST
@staff_view("sessions.chart")
def add_event(request, pk):
    return session_step(
        request,
        pk,
        form=lambda session: forms.AdverseEventForm(request.POST),
        name="event_form",
        invalid="The adverse event was not saved: see below.",
        act=lambda session, data: monitor.add_adverse_event(
            session, by=request.user, request=request, **data
        ),
        done="Adverse event recorded.",
    )


@require_POST
@staff_view("sessions.chart")
def acknowledge(request, pk):
    alert = get_alert_for_user(request, pk)
    form = forms.AcknowledgeForm(request.POST)
    back = request.POST.get("next") or reverse("sessions:detail", args=[alert.session_id])
    if not back.startswith("/staff/"):
        back = reverse("sessions:detail", args=[alert.session_id])
    if not form.is_valid():
        messages.error(request, "Say what was done about the alert before acknowledging it.")
        return redirect(back)
    try:
        monitor.acknowledge(
            alert, by=request.user, action_taken=form.cleaned_data["action_taken"], request=request
        )
    except SessionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Alert acknowledged.")
    return redirect(back)


# Discharge -------------------------------------------------------------------------------------------


@require_POST
@staff_view("sessions.chart")
def ready(request, pk):
    def act(session, data):
        try:
            session.mark_ready(by=request.user, score_items=data, request=request)
        except ValueError as error:
            raise SessionError(str(error)) from error
        return session

    return session_step(
        request,
        pk,
        form=lambda session: forms.ReadyForm(request.POST, rules=session.rules),
        name="ready_form",
        invalid="Score every item of the discharge score.",
        act=act,
        done=lambda session, _: f"Ready to leave at {timezone.localtime(session.ready_at):%H:%M}.",
    )


@require_POST
@staff_view("sessions.chart")
def discharge(request, pk):
    return session_step(
        request,
        pk,
        form=lambda session: forms.DischargeForm(request.POST),
        name="discharge_form",
        invalid="Check the discharge details.",
        act=lambda session, data: session.discharge(
            by=request.user,
            escort_present=data["escort_present"],
            escort_name=data["escort_name"],
            instructions_given=data["instructions_given"],
            request=request,
        ),
        done="Discharged.",
    )


@require_POST
@staff_view("sessions.sign")
def sign(request, pk):
    session = get_session_for_user(request, pk)
    try:
        session.sign(by=request.user, request=request)
    except SessionError as error:
        return refused(request, session, error)
    messages.success(request, "Signed. The record is now frozen.")
    return redirect("sessions:detail", pk=session.pk)


# REMS ------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view("sessions.chart")
def rems(request, pk):
    session = get_session_for_user(request, pk)
    if not session.is_esketamine:
        messages.error(request, "The REMS monitoring form is for esketamine (Spravato) sessions.")
        return redirect("sessions:detail", pk=session.pk)
    instance = RemsForm.objects.filter(session=session).first() or RemsForm(
        session=session, **rems_prefill(session)
    )
    form = forms.RemsFormForm(request.POST or None, instance=instance)
    if request.method == "POST":
        if session.is_signed:
            messages.error(request, "This session is signed; the form is frozen with it.")
        elif form.is_valid():
            with transaction.atomic():
                saved = form.save(commit=False)
                saved.updated_at = timezone.now()
                saved.save()
                record(request, "update", saved, patient=session.patient_id, clinic=session.clinic_id)
            messages.success(request, "REMS form saved.")
            return redirect("sessions:detail", pk=session.pk)
    context = {"session": session, "form": form, "missing": rems_missing(session)}
    return render(request, "sessions/rems.html", context)


def rems_prefill(session) -> dict:
    """What the session's own record already says, for the nurse to check."""
    given = session.administrations.first()
    vitals = [v for v in session.vitals.all() if v.systolic]
    pre = [v for v in vitals if v.pre_dose]
    post = [v for v in vitals if not v.pre_dose]
    at40 = None
    if session.dosed_at and post:
        at40 = min(post, key=lambda v: abs((v.taken_at - session.dosed_at).total_seconds() / 60 - 40))
    prefill = {
        "treatment_date": timezone.localtime(
            session.dosed_at or session.planned_start, session.site_zone
        ).date(),
        "setting_name": session.site.name,
        # Where the patient was: the address recorded at booking for a session at home.
        "setting_address": session.home_address if session.at_home else session.site.address,
        "bp_before": pre[-1].bp if pre else "",
        "bp_40": at40.bp if at40 else "",
        "bp_end": post[-1].bp if post else "",
        "pulse_oximetry_checked": any(v.spo2 for v in session.vitals.all()) or None,
        "serious_adverse_event": session.adverse_events.filter(serious=True).exists(),
    }
    if given:
        prefill |= {
            "lot": given.lot,
            "dose": str(int(given.amount_mg)) if int(given.amount_mg) in (56, 84) else "other",
        }
    if session.dosed_at and session.discharged_at:
        prefill["total_minutes"] = int((session.discharged_at - session.dosed_at).total_seconds() // 60)
    if session.dosed_at and session.ready_at:
        prefill["ready_minutes"] = int((session.ready_at - session.dosed_at).total_seconds() // 60)
    return prefill


@require_GET
@staff_view("sessions.view")
def rems_queue(request):
    """Esketamine sessions whose REMS form is not yet submitted, by the day it is due."""
    sessions = (
        DosingSession.objects.visible_to(request.user)
        .filter(medication="esketamine", dosed_at__isnull=False)
        .exclude(rems__submitted_at__isnull=False)
        .select_related("patient", "site", "rems")
        .order_by("dosed_at")
    )
    now = timezone.now()
    rows = []
    for session in sessions:
        # Calendar days where the treatment was given: the site's own time zone.
        treated, today = session.local(session.dosed_at).date(), session.local(now).date()
        due = treated + timezone.timedelta(days=7)
        rows.append({"session": session, "treated": treated, "due": due, "days_left": (due - today).days})
    record(request, "list", detail={"page": "REMS forms due", "count": len(rows)})
    return render(request, "sessions/rems_queue.html", {"rows": rows})


@require_POST
@staff_view("sessions.sign")
def rems_submitted(request, pk):
    session = get_session_for_user(request, pk)
    form = RemsForm.objects.filter(session=session).first()
    missing = rems_missing(session)
    if form is None or missing:
        return refused(
            request, session, "Complete the REMS form before marking it submitted: " + ", ".join(missing)
        )
    with transaction.atomic():
        RemsForm.objects.filter(pk=form.pk).update(submitted_at=timezone.now(), submitted_by=request.user)
        record(
            request,
            "update",
            form,
            patient=session.patient_id,
            clinic=session.clinic_id,
            detail={"submitted": True},
        )
    messages.success(request, "REMS form marked as submitted.")
    return redirect("sessions:rems_queue")


# Summary and chart panel ---------------------------------------------------------------------------------


@require_GET
@staff_view("sessions.view")
def summary(request, pk):
    session = get_session_for_user(request, pk)
    return render(request, "sessions/summary.html", summary_context(session))


@require_GET
@staff_view("sessions.view")
def summary_pdf(request, pk):
    from kapcare.lib.pdf import html_to_pdf

    session = get_session_for_user(request, pk)
    html = render_to_string("sessions/summary_pdf.html", summary_context(session) | {"pdf": True})
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="dosing-session-{session.pk}.pdf"'
    record(request, "export", session, detail={"format": "pdf"})
    return response


OUTSIDE_SHOWN = 10  # readings from outside a session on the chart, latest first


@require_GET
@staff_view("sessions.view")
def panel(request, pk):
    patient = get_patient_for_user(request, pk)
    sessions = list(
        DosingSession.objects.visible_to(request.user)
        .filter(patient=patient)
        .select_related("site", "room", "protocol")
        .order_by("-planned_start")
    )
    course = patient.courses.filter(state="active").first()
    role = request.membership.role
    context = {
        "patient": patient,
        "sessions": sessions,
        "course": course,
        "can_schedule": allows(role, "sessions.schedule"),
        "can_mark_error": allows(role, "sessions.chart"),
        "zone": patient.clinic.zone,
    } | outside_readings(patient)
    template = "sessions/panel.html#panel" if request.htmx else "sessions/panel.html"
    return render(request, template, context)


def outside_readings(patient) -> dict:
    """Readings sent through the FHIR API from when the patient was in no session: their history,
    the latest first. Those marked entered in error are no longer part of it: listed apart, with
    who said so, when and why."""
    outside = (
        VitalSign.objects.outside_sessions()
        .filter(clinic=patient.clinic_id, patient=patient)
        .order_by("-taken_at", "-pk")
    )
    shown, count = first_and_count(outside.in_force(), OUTSIDE_SHOWN)
    wrong, wrong_count = first_and_count(outside.in_error().select_related("error_by"), OUTSIDE_SHOWN)
    return {"outside": shown, "outside_count": count, "in_error": wrong, "in_error_count": wrong_count}


@require_POST
@staff_view("sessions.chart")
def outside_reading_in_error(request, pk):
    """Mark a reading from outside a session entered in error (another patient's, a home cuff's
    bad value), with the reason; it stays on the record, apart."""
    reading = get_object_for_user(request, VitalSign.objects.all(), pk=pk)
    try:
        reading.mark_entered_in_error(by=request.user, reason=request.POST.get("reason", ""), request=request)
    except SessionError as error:
        messages.error(request, str(error))
    else:
        taken = reading_time(reading)
        messages.success(request, f"The reading taken {taken} is marked entered in error.")
    return redirect(reverse("patients:chart", kwargs={"pk": reading.patient_id}) + "#dosing-sessions")


def reading_time(reading) -> str:
    """When a reading was taken, as the panel shows it: its day alone, or its time in the clinic's zone."""
    if reading.date_only:
        day = reading.taken_at
        return f"on {day:%b} {day.day}, {day:%Y}"
    at = timezone.localtime(reading.taken_at, reading.clinic.zone)
    return f"at {at:%b} {at.day}, {at:%Y %H:%M}"


@require_http_methods(["GET", "POST"])
@staff_view("sessions.schedule")
def schedule(request, pk):
    """Book a dosing session from the course's signed treatment plan."""
    from kapcare.sessions.scheduling import address_on_file, plan_for, schedule_from_plan

    course = get_course_for_user(request, pk)
    plan = plan_for(course)
    form = forms.ScheduleForm(
        request.POST or None,
        clinic=request.membership.clinic,
        course=course,
        address_on_file=address_on_file(course.patient),
        plan=plan,
    )
    if request.method == "POST" and form.is_valid():
        if plan is None:
            form.add_error(None, "This course has no signed treatment plan to schedule from.")
        else:
            room = form.cleaned_data["room"]
            try:
                session = schedule_from_plan(
                    plan,
                    course,
                    planned_start=form.cleaned_data["planned_start"],
                    room=room,
                    site=form.cleaned_data["site"],
                    setting=form.cleaned_data["setting"],
                    home_address=form.cleaned_data["home_address"],
                    medication=form.cleaned_data["medication"],
                    by=request.user,
                    request=request,
                )
            except SessionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, f"Dosing session {session.number} scheduled.")
                return redirect("patients:chart", pk=course.patient_id)
    return render(request, "sessions/schedule.html", {"course": course, "plan": plan, "form": form})


@require_http_methods(["GET", "POST"])
@staff_view("sessions.schedule")
def home_address(request, pk):
    """Correct where the patient will be for a booked at-home session that is not over."""
    session = get_session_for_user(request, pk)
    form = forms.HomeAddressForm(request.POST or None, initial={"home_address": session.home_address})
    if request.method == "POST" and form.is_valid():
        try:
            session.correct_home_address(form.cleaned_data["home_address"], by=request.user, request=request)
        except SessionError as error:
            form.add_error("home_address", str(error))
        else:
            messages.success(request, f"The address for dosing session {session.number} is corrected.")
            if allows(request.membership.role, "sessions.view"):
                return redirect("sessions:detail", pk=session.pk)
            return redirect("patients:chart", pk=session.patient_id)
    return render(request, "sessions/home_address.html", {"session": session, "form": form})


# Controlled-substance log --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view("sessions.stock")
def ledger(request, pk):
    site = get_site_for_user(request, pk)
    form = forms.ReceiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dosing.receive(
                site,
                data["product"],
                data["amount_mg"],
                by=request.user,
                lot=data["lot"],
                note=data["note"],
                request=request,
            )
        except SessionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Received {data['amount_mg']} mg of {data['product']}.")
            return redirect("sessions:ledger", pk=site.pk)
    entries = (
        LedgerEntry.objects.filter(site=site)
        .select_related("by", "witness", "session")
        .order_by("-at", "-pk")[:100]
    )
    record(request, "list", detail={"page": "controlled-substance log", "site": site.pk})
    context = {"site": site, "form": form, "balances": dosing.balances(site), "entries": entries}
    return render(request, "sessions/ledger.html", context)
