"""Staff pages for insurance: the payer directory, a patient's coverage panel, and eligibility checks."""

from django.contrib import messages
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapcare.audit.trail import record
from kapcare.clinics.access import get_object_for_user, staff_view
from kapcare.clinics.roles import allows
from kapcare.coverage.eligibility import CheckFailed, check_coverage, detail_lines
from kapcare.coverage.forms import CoverageForm, CoverageSettingsForm, PayerForm, RunCheckForm, card_type
from kapcare.coverage.models import Coverage, CoverageSettings, EligibilityCheck, Payer
from kapcare.coverage.tasks import recheck_after_commit
from kapcare.leads.models import Lead
from kapcare.patients.access import get_patient_for_user

HISTORY = 10


# The payer directory and the clinic's coverage settings.


@require_GET
@staff_view("coverage.view")
def payer_list(request):
    clinic = request.membership.clinic
    payers = Payer.objects.visible_to(request.user).select_related("carve_out")
    context = {
        "payers": payers,
        "options": CoverageSettings.for_clinic(clinic),
        "can_manage": allows(request.membership.role, "coverage.manage"),
    }
    return render(request, "coverage/payer_list.html", context)


@require_http_methods(["GET", "POST"])
@staff_view("coverage.manage")
def payer_new(request):
    return _payer_form(request, Payer())


@require_http_methods(["GET", "POST"])
@staff_view("coverage.manage")
def payer_edit(request, pk):
    return _payer_form(request, get_object_for_user(request, Payer.objects.all(), pk=pk))


def _payer_form(request, payer):
    form = PayerForm(request.POST or None, instance=payer, clinic=request.membership.clinic)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            record(request, "update" if payer.pk else "create", saved, detail={"fields": form.changed_data})
        messages.success(request, f"Saved {saved.name}.")
        return redirect("coverage:payers")
    return render(request, "coverage/payer_form.html", {"form": form, "payer": payer})


@require_http_methods(["GET", "POST"])
@staff_view("coverage.manage")
def settings_edit(request):
    options = CoverageSettings.for_clinic(request.membership.clinic)
    form = CoverageSettingsForm(request.POST or None, instance=options)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            record(request, "update", options, detail={"fields": form.changed_data})
        messages.success(request, "Coverage settings saved.")
        return redirect("coverage:payers")
    return render(request, "coverage/settings_form.html", {"form": form})


# A patient's coverage on the chart.


@require_GET
@staff_view("coverage.view")
def panel(request, pk):
    patient = get_patient_for_user(request, pk)
    return render_panel(request, patient)


def render_panel(request, patient, status=200):
    latest = (
        EligibilityCheck.objects.filter(coverage=OuterRef("pk")).order_by("-ran_at", "-pk").values("pk")[:1]
    )
    coverages = list(
        patient.coverages.select_related("payer__carve_out").annotate(latest_check_id=Subquery(latest))
    )
    # Checks run while the patient was still an enquiry in the lead inbox belong to the history too.
    from_leads = Lead.objects.filter(patient=patient).values("pk")
    history = list(
        EligibilityCheck.objects.filter(
            Q(patient=patient) | Q(lead_id__in=from_leads, clinic_id=patient.clinic_id)
        )
        .select_related("ran_by", "coverage__payer")
        .defer("request_270", "response_271")
        .order_by("-ran_at", "-pk")[:HISTORY]
    )
    known = {check.pk: check for check in history}
    missing = [c.latest_check_id for c in coverages if c.latest_check_id and c.latest_check_id not in known]
    known |= EligibilityCheck.objects.defer("request_270", "response_271").in_bulk(missing)
    options = CoverageSettings.for_clinic(patient.clinic)
    rows = [_coverage_row(coverage, known.get(coverage.latest_check_id), options) for coverage in coverages]
    role = request.membership.role
    context = {
        "patient": patient,
        "rows": rows,
        "history": history,
        "options": options,
        "can_edit": allows(role, "coverage.edit"),
        "can_check": allows(role, "coverage.check"),
        "check_form": RunCheckForm(initial={"service_type": options.service_type}),
    }
    template = "coverage/panel.html#panel" if request.htmx else "coverage/panel.html"
    return render(request, template, context, status=status)


def _coverage_row(coverage, latest, options) -> dict:
    warnings = []
    failed = coverage.failed_check_at
    if coverage.is_active and failed and (latest is None or latest.ran_at < failed):
        warnings.append(
            f"The automatic check after the last change could not be completed "
            f"({timezone.localtime(failed):%b %-d, %Y %-I:%M %p}): {coverage.failed_check_reason}"
        )
    if coverage.is_active and latest is None:
        warnings.append("No eligibility check has been run for this coverage yet.")
    elif latest is not None and coverage.is_active:
        if latest.is_older_than(options.recheck_after_days):
            warnings.append(
                f"The last check is more than {options.recheck_after_days} days old "
                f"(the clinic's limit); run it again before the next visit."
            )
        if coverage.changed_at > latest.ran_at:
            warnings.append("The coverage changed after the last check; its result may no longer apply.")
    return {
        "coverage": coverage,
        "latest": latest,
        "lines": detail_lines(latest) if latest else [],
        "warnings": warnings,
    }


@require_http_methods(["GET", "POST"])
@staff_view("coverage.edit")
def coverage_new(request, pk):
    patient = get_patient_for_user(request, pk)
    return _coverage_form(request, patient, Coverage(clinic=patient.clinic, patient=patient))


@require_http_methods(["GET", "POST"])
@staff_view("coverage.edit")
def coverage_edit(request, pk):
    coverage = get_object_for_user(request, Coverage.objects.select_related("patient", "clinic"), pk=pk)
    if request.method == "GET":
        record(request, "view", coverage)
    return _coverage_form(request, coverage.patient, coverage)


def _coverage_form(request, patient, coverage):
    is_new = coverage.pk is None
    form = CoverageForm(request.POST or None, request.FILES or None, instance=coverage, patient=patient)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if form.changes_the_question():
                form.instance.changed_at = timezone.now()
            saved = form.save()
            record(request, "create" if is_new else "update", saved, detail={"fields": form.changed_data})
            if saved.is_active and form.changes_the_question():
                recheck_after_commit(saved, request.user)
        messages.success(request, "Coverage saved; an eligibility check runs in the background.")
        return redirect("patients:chart", pk=patient.pk)
    return render(
        request, "coverage/coverage_form.html", {"form": form, "patient": patient, "coverage": coverage}
    )


@require_POST
@staff_view("coverage.check")
def coverage_check(request, pk):
    coverage = get_object_for_user(
        request, Coverage.objects.select_related("patient__clinic", "payer__carve_out", "clinic"), pk=pk
    )
    form = RunCheckForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the behavioural-health service types to ask about.")
    else:
        try:
            check = check_coverage(
                coverage, by=request.user, request=request, service_type=form.cleaned_data["service_type"]
            )
        except CheckFailed as failure:
            messages.error(request, failure.message)
        else:
            messages.success(request, f"Eligibility checked: {check.get_status_display().lower()}.")
    if request.htmx:
        return render_panel(request, coverage.patient)
    return redirect("patients:chart", pk=coverage.patient_id)


@require_GET
@staff_view("coverage.view")
def card(request, pk, side):
    coverage = get_object_for_user(request, Coverage.objects.all(), pk=pk)
    upload = {"front": coverage.card_front, "back": coverage.card_back}.get(side)
    if side not in ("front", "back"):
        raise Http404("A card has a front and a back.")
    if not upload:
        return render(request, "coverage/no_card.html", {"coverage": coverage, "side": side})
    record(request, "view", coverage, detail={"card": side})
    handle = upload.open("rb")
    content_type = card_type(handle.read(12)) or "application/octet-stream"
    handle.seek(0)
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@staff_view("coverage.view")
def check_detail(request, pk):
    check = get_object_for_user(
        request,
        EligibilityCheck.objects.select_related("ran_by", "coverage__payer", "patient", "clinic"),
        pk=pk,
    )
    record(request, "view", check, patient=check.patient_id)
    return render(request, "coverage/check_detail.html", {"check": check, "lines": detail_lines(check)})
