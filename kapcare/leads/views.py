"""The lead inbox: every enquiry in one list, with its thread; answered, assigned, closed or converted."""

import mimetypes

from django.apps import apps
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapcare.audit.trail import record
from kapcare.clinics.access import staff_view
from kapcare.clinics.roles import allows
from kapcare.leads import forms
from kapcare.leads.access import get_lead_for_user
from kapcare.leads.conversion import convert_lead, initial_patient_fields
from kapcare.leads.intake import create_lead
from kapcare.leads.models import (
    OPEN_STATUSES,
    Channel,
    Kind,
    Lead,
    LeadError,
    LeadMessage,
    LeadSettings,
    Status,
    reply,
)

PAGE_SIZE = 50


def filtered_leads(request, data):
    leads = Lead.objects.visible_to(request.user)
    status = data.get("status") or "open"
    if status == "open":
        leads = leads.filter(status__in=OPEN_STATUSES)
    elif status in Status.values:
        leads = leads.filter(status=status)
    if data.get("kind"):
        leads = leads.filter(kind=data["kind"])
    if data.get("assignee") == "me":
        leads = leads.filter(assignee=request.user)
    elif data.get("assignee") == "none":
        leads = leads.filter(assignee__isnull=True)
    query = (data.get("q") or "").strip()
    if query:
        digits = "".join(c for c in query if c.isdigit())
        match = Q(name__icontains=query) | Q(email__icontains=query)
        if len(digits) >= 4:
            match |= Q(phone__contains=digits)
        match |= Q(pk__in=LeadMessage.objects.filter(body__icontains=query).values("lead"))
        leads = leads.filter(match)
    return leads


@require_GET
@staff_view("leads.view")
def inbox(request):
    form = forms.InboxFilter(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    leads = filtered_leads(request, data).select_related("assignee")
    page = Paginator(leads, PAGE_SIZE).get_page(request.GET.get("page"))
    settings = LeadSettings.for_clinic(request.membership.clinic)
    now = timezone.now()
    rows = [(lead, lead.is_overdue(settings.response_target_hours, now)) for lead in page]
    counts = dict(
        Lead.objects.visible_to(request.user)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    record(request, "list", detail={"page": "lead inbox", "filter": request.GET.dict()})
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "counts": [(s, label, counts.get(s, 0)) for s, label in Status.choices],
        "settings": settings,
        "query_string": request.GET.urlencode(),
        "bulk_form": forms.BulkCloseForm(),
        "can_manage": allows(request.membership.role, "leads.manage"),
        "matching": page.paginator.count,
    }
    return render(request, "leads/inbox.html", context)


@require_POST
@staff_view("leads.manage")
def bulk_close(request):
    form = forms.BulkCloseForm(request.POST)
    back = reverse("leads:inbox") + ("?" + request.POST["filter"] if request.POST.get("filter") else "")
    if not form.is_valid():
        messages.error(request, "Choose why these leads are closed.")
        return redirect(back)
    reason = form.cleaned_data["reason"]
    if request.POST.get("scope") == "matching":
        data = forms.InboxFilter(_query(request.POST.get("filter", "")))
        leads = filtered_leads(request, data.cleaned_data if data.is_valid() else {}).filter(
            status__in=OPEN_STATUSES
        )
        upto = request.POST.get("upto", "")
        if not upto.isdigit():
            # Closing everything a filter matches cannot be undone in one click: show what it
            # would close first. The confirmation closes only leads that existed when it was
            # shown, so a real lead that arrives meanwhile stays open.
            newest = leads.order_by("-pk").values_list("pk", flat=True).first()
            context = {
                "count": leads.count(),
                "sample": leads.order_by("-created_at")[:10],
                "reason": reason,
                "reason_label": dict(form.fields["reason"].choices)[reason],
                "filter": request.POST.get("filter", ""),
                "upto": newest or 0,
                "back": back,
            }
            return render(request, "leads/bulk_confirm.html", context)
        leads = leads.filter(pk__lte=int(upto))
    else:
        ids = [int(i) for i in request.POST.getlist("lead") if i.isdigit()]
        if not ids:
            messages.error(request, "Tick the leads to close first.")
            return redirect(back)
        leads = Lead.objects.visible_to(request.user).filter(pk__in=ids)
    with transaction.atomic():
        ids = list(leads.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True))
        Lead.objects.filter(pk__in=ids).update(
            status=Status.CLOSED, close_reason=reason, last_activity_at=timezone.now()
        )
        record(request, "transition", detail={"leads": ids, "to": "closed", "reason": reason})
    messages.success(
        request, f"Closed {len(ids)} lead{'s' if len(ids) != 1 else ''} as {reason.replace('_', ' ')}."
    )
    return redirect(back)


def _query(text):
    from django.http import QueryDict

    return QueryDict(text)


@require_GET
@staff_view("leads.view")
def detail(request, pk):
    lead = get_lead_for_user(request, pk)
    coverage = getattr(lead, "coverage", None)
    role = request.membership.role
    settings = LeadSettings.for_clinic(lead.clinic)
    context = {
        "lead": lead,
        "thread": lead.messages.select_related("by"),
        "coverage": coverage,
        "card_files": [
            (side, file)
            for side, file in (
                ("front", getattr(coverage, "card_front", None)),
                ("back", getattr(coverage, "card_back", None)),
            )
            if file
        ],
        "overdue": lead.is_overdue(settings.response_target_hours),
        "settings": settings,
        "can_manage": allows(role, "leads.manage"),
        "can_convert": allows(role, "leads.convert") and lead.is_open,
        "actions": lead_actions(lead, role),
        "reply_form": forms.ReplyForm(
            initial={"channel": Channel.SMS if lead.can_text() and not lead.email else Channel.EMAIL}
        ),
        "note_form": forms.NoteForm(),
        "assign_form": forms.AssignForm(clinic=lead.clinic, initial={"assignee": lead.assignee_id}),
        "status_form": forms.StatusForm(initial={"status": lead.status}),
    }
    return render(request, "leads/detail.html", context)


def lead_actions(lead, role: str) -> list[dict]:
    """Actions other apps offer on a lead of a kind (an AppConfig's `lead_actions`:
    [(label, url name taking the lead's pk, permission, kinds)]), for roles that may."""
    return [
        {"label": label, "url": reverse(name, kwargs={"pk": lead.pk})}
        for config in apps.get_app_configs()
        for label, name, permission, kinds in getattr(config, "lead_actions", [])
        if lead.kind in kinds and allows(role, permission)
    ]


def _act(request, pk, form_class, action, form_kwargs=None):
    """A POST on one lead: validate, act, say what happened, back to the lead."""
    lead = get_lead_for_user(request, pk)
    form = form_class(request.POST, **(form_kwargs(lead) if form_kwargs else {}))
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, errors)
    else:
        try:
            note = action(lead, form.cleaned_data)
        except LeadError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, note)
    return redirect("leads:detail", pk=lead.pk)


@require_POST
@staff_view("leads.manage")
def lead_reply(request, pk):
    def act(lead, data):
        reply(lead, data["channel"], data["body"], by=request.user, request=request, subject=data["subject"])
        return "Reply sent by " + ("email." if data["channel"] == Channel.EMAIL else "text.")

    return _act(request, pk, forms.ReplyForm, act)


@require_POST
@staff_view("leads.manage")
def lead_note(request, pk):
    def act(lead, data):
        lead.add_note(data["text"], by=request.user, request=request)
        return "Note added."

    return _act(request, pk, forms.NoteForm, act)


@require_POST
@staff_view("leads.manage")
def lead_assign(request, pk):
    def act(lead, data):
        lead.assign(data["assignee"], by=request.user, request=request)
        return f"Assigned to {data['assignee'].full_name}." if data["assignee"] else "Unassigned."

    return _act(request, pk, forms.AssignForm, act, form_kwargs=lambda lead: {"clinic": lead.clinic})


@require_POST
@staff_view("leads.manage")
def lead_status(request, pk):
    def act(lead, data):
        lead.set_status(data["status"], by=request.user, request=request, reason=data["reason"])
        return f"Lead is now {lead.get_status_display().lower()}."

    return _act(request, pk, forms.StatusForm, act)


@require_http_methods(["GET", "POST"])
@staff_view("leads.convert")
def convert(request, pk):
    lead = get_lead_for_user(request, pk)
    if not lead.is_open:
        messages.error(
            request, f"This lead is {lead.get_status_display().lower()}; only an open lead converts."
        )
        return redirect("leads:detail", pk=lead.pk)
    form = forms.ConvertForm(request.POST or None, initial=initial_patient_fields(lead))
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in forms.ConvertForm.Meta.fields}
        try:
            patient = convert_lead(
                lead, request.user, request, condition=form.cleaned_data["condition"], **fields
            )
        except LeadError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, f"{patient.name} is now a patient, MRN {patient.mrn}, with a course in evaluation."
            )
            return redirect("patients:chart", pk=patient.pk)
    return render(request, "leads/convert.html", {"lead": lead, "form": form})


@require_http_methods(["GET", "POST"])
@staff_view("leads.manage")
def log_call(request):
    form = forms.CallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        lead = create_lead(
            request.membership.clinic,
            Kind.CALL,
            request=request,
            message=data["notes"],
            channel=Channel.CALL,
            by=request.user,
            name=data["name"],
            phone=data["phone"] or "",
            email=data["email"],
            condition=data["condition"],
            preferred_contact=data["preferred_contact"],
            text_consent_at=timezone.now() if data["text_consent"] else None,
            text_consent_source="said so on a call" if data["text_consent"] else "",
            assignee=request.user,
        )
        messages.success(request, "Call logged as a lead, assigned to you.")
        return redirect("leads:detail", pk=lead.pk)
    return render(request, "leads/log_call.html", {"form": form})


@require_GET
@staff_view("leads.view")
def card(request, pk, side):
    lead = get_lead_for_user(request, pk)
    coverage = getattr(lead, "coverage", None)
    file = getattr(coverage, f"card_{side}", None) if side in ("front", "back") else None
    if not file:
        raise Http404("No card photo.")
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    response = FileResponse(file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="lead-{lead.pk}-card-{side}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@staff_view("leads.settings")
def lead_settings(request):
    settings = LeadSettings.for_clinic(request.membership.clinic)
    form = forms.LeadSettingsForm(request.POST or None, instance=settings)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            record(request, "update", settings, detail={"fields": form.changed_data})
        messages.success(request, "Inbox settings saved.")
        return redirect("leads:inbox")
    return render(request, "leads/settings.html", {"form": form})


@require_GET
@staff_view("patients.view")
def chart_panel(request, pk):
    """The chart's view of where a patient came from: what they told the clinic before they were one."""
    from kapcare.patients.access import get_patient_for_user

    patient = get_patient_for_user(request, pk)
    lead = (
        Lead.objects.visible_to(request.user)
        .filter(patient=patient)
        .select_related("coverage")
        .prefetch_related("messages")
        .first()
    )
    if lead is not None:
        record(request, "view", lead, patient=patient)
    context = {
        "patient": patient,
        "lead": lead,
        "coverage": getattr(lead, "coverage", None) if lead else None,
        "said": [m for m in lead.messages.all() if m.direction == "in"] if lead else [],
        "can_open_lead": allows(request.membership.role, "leads.view"),
    }
    return render(request, "leads/chart_panel.html#panel", context)
