"""Verify a coverage-verification lead's insurance from the lead inbox, and send the person what we found.

The lead inbox belongs to the leads app; these pages only read its Lead and CoverageRequest and use
its `reply` to send, so a lead's thread keeps what the person was told.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapcare.audit.trail import record
from kapcare.clinics.access import get_object_for_user, staff_view
from kapcare.coverage.eligibility import CheckFailed, check_lead, detail_lines, payer_for_lead
from kapcare.coverage.forms import RunCheckForm, SendSummaryForm
from kapcare.coverage.models import CoverageSettings, EligibilityCheck
from kapcare.leads.models import Channel, Kind, Lead, LeadError, reply

LIST_SIZE = 100


def get_coverage_lead(request, pk) -> Lead:
    """A coverage-verification lead of the member's clinic (else 404), if the role may check (else 403)."""
    lead = get_object_for_user(
        request, Lead.objects.filter(kind=Kind.COVERAGE).select_related("clinic", "coverage"), pk=pk
    )
    if not hasattr(lead, "coverage"):
        raise Http404("This lead has no coverage details to verify.")
    return lead


@require_GET
@staff_view("coverage.check")
def lead_list(request):
    """Open coverage-verification leads, each with its latest check: the front office's work list."""
    leads = list(
        Lead.objects.visible_to(request.user)
        .open()
        .filter(kind=Kind.COVERAGE, coverage__isnull=False)
        .select_related("coverage")
        .order_by("created_at")[:LIST_SIZE]
    )
    latest = {}
    checks = EligibilityCheck.objects.filter(
        clinic_id=request.membership.clinic_id, lead_id__in=[lead.pk for lead in leads]
    )
    for check in checks.defer("request_270", "response_271", "result").order_by("ran_at", "pk"):
        latest[check.lead_id] = check
    record(request, "list", detail={"page": "coverage leads", "count": len(leads)})
    rows = [(lead, latest.get(lead.pk)) for lead in leads]
    return render(request, "coverage/lead_list.html", {"rows": rows, "limit": LIST_SIZE})


@require_http_methods(["GET", "POST"])
@staff_view("coverage.check")
def lead_check(request, pk):
    lead = get_coverage_lead(request, pk)
    options = CoverageSettings.for_clinic(lead.clinic)
    if request.method == "POST":
        form = RunCheckForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose one of the behavioural-health service types to ask about.")
        else:
            try:
                check_lead(
                    lead, by=request.user, request=request, service_type=form.cleaned_data["service_type"]
                )
            except CheckFailed as failure:
                messages.error(request, failure.message)
            else:
                messages.success(request, "Eligibility checked.")
        return redirect("coverage:lead_check", pk=lead.pk)
    record(request, "view", lead, detail={"page": "coverage check"})
    return render(request, "coverage/lead_check.html", _context(lead, options))


@require_POST
@staff_view("coverage.check")
def lead_send(request, pk):
    lead = get_coverage_lead(request, pk)
    options = CoverageSettings.for_clinic(lead.clinic)
    latest = _latest(lead)
    form = SendSummaryForm(request.POST)
    if latest is None:
        messages.error(request, "Run a check before sending a summary.")
        return redirect("coverage:lead_check", pk=lead.pk)
    if form.is_valid():
        channel = form.cleaned_data["channel"]
        try:
            if channel == "text":
                reply(lead, Channel.SMS, text_message(lead), by=request.user, request=request)
            else:
                subject = f"Your insurance check with {lead.clinic.name}"
                reply(
                    lead,
                    Channel.EMAIL,
                    form.cleaned_data["message"],
                    by=request.user,
                    request=request,
                    subject=subject,
                )
        except LeadError as error:
            form.add_error("channel", str(error))
        else:
            messages.success(request, "Summary sent by " + ("text." if channel == "text" else "email."))
            return redirect("coverage:lead_check", pk=lead.pk)
    context = _context(lead, options) | {"send_form": form}
    return render(request, "coverage/lead_check.html", context, status=200)


def _latest(lead):
    return (
        EligibilityCheck.objects.filter(clinic_id=lead.clinic_id, lead_id=lead.pk)
        .order_by("-ran_at", "-pk")
        .first()
    )


def _context(lead, options) -> dict:
    checks = list(
        EligibilityCheck.objects.filter(clinic_id=lead.clinic_id, lead_id=lead.pk)
        .select_related("ran_by")
        .order_by("-ran_at", "-pk")[:10]
    )
    latest = checks[0] if checks else None
    return {
        "lead": lead,
        "asked": lead.coverage,
        "payer": payer_for_lead(lead),
        "checks": checks,
        "latest": latest,
        "lines": detail_lines(latest) if latest else [],
        "options": options,
        "check_form": RunCheckForm(initial={"service_type": options.service_type}),
        "send_form": SendSummaryForm(initial={"channel": "email", "message": email_message(lead, latest)}),
    }


def email_message(lead, check) -> str:
    """What staff send the person: the plain answers, and what they do not mean."""
    if check is None:
        return ""
    first = lead.name.split()[0] if lead.name.strip() else "there"
    clinic = lead.clinic
    rows = [f"- {row['question']} {row['answer']}" for row in check.result.get("answers", [])]
    return "\n".join(
        [
            f"Hello {first},",
            "",
            f"We asked {check.payer_name} about your coverage for mental-health care on "
            f"{_day(timezone.localtime(check.ran_at, clinic.zone))}. This is what your plan told us:",
            "",
            *rows,
            "",
            "This is what the plan reported today; it is not a promise of payment, and your costs depend on "
            "the services you receive. Please call us with any questions"
            + (f" at {clinic.phone}." if clinic.phone else "."),
            "",
            "If you are in crisis, call or text 988 (Suicide & Crisis Lifeline) or call 911.",
            "",
            clinic.name,
        ]
    )


def _day(moment) -> str:
    return f"{moment:%B} {moment.day}, {moment.year}"


def text_message(lead) -> str:
    # Texts are not private: say that there is news, not what it is.
    clinic = lead.clinic
    call = f" at {clinic.phone}" if clinic.phone else ""
    return (
        f"{clinic.name}: we have checked your insurance coverage. Please call us{call} or check your email."
    )
