"""The audit log for clinic admins: who did what with whose record, filterable."""

from datetime import datetime, time

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kapcare.audit.models import Action, AuditEvent
from kapcare.audit.trail import record
from kapcare.clinics.access import staff_view


class AuditFilter(forms.Form):
    actor = forms.CharField(required=False, label="Person (email)")
    patient = forms.IntegerField(required=False, min_value=1, label="Patient number")
    action = forms.ChoiceField(required=False, choices=[("", "Any action"), *Action.choices])
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


@require_GET
@staff_view("audit.view")
def audit_log(request):
    form = AuditFilter(request.GET or None)
    events = AuditEvent.objects.for_clinic(request.membership.clinic_id)
    if form.is_valid():
        events = filtered(events, form.cleaned_data)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    names = patient_names([e.patient_id for e in page if e.patient_id])
    rows = [(event, names.get(event.patient_id)) for event in page]
    record(request, "list", detail={"page": "audit log", "filter": request.GET.dict()})
    return render(request, "audit/audit_log.html", {"form": form, "page": page, "rows": rows})


def filtered(events, data):
    if data["actor"]:
        events = events.filter(actor__icontains=data["actor"])
    if data["patient"]:
        events = events.filter(patient_id=data["patient"])
    if data["action"]:
        events = events.filter(action=data["action"])
    zone = timezone.get_current_timezone()
    if data["since"]:
        events = events.filter(at__gte=datetime.combine(data["since"], time.min, zone))
    if data["until"]:
        events = events.filter(at__lte=datetime.combine(data["until"], time.max, zone))
    return events


def patient_names(ids):
    from django.apps import apps

    Patient = apps.get_model("patients", "Patient")  # audit knows no clinical app by import
    return {
        p.pk: f"{p.name} ({p.mrn})"
        for p in Patient.objects.filter(pk__in=ids).only(
            "id", "mrn", "legal_first_name", "legal_last_name", "preferred_name"
        )
    }
