"""Consent and preparation on the staff side: the chart panels, signing in clinic, the signed PDF."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from kapcare.audit.trail import record
from kapcare.clinics.access import get_object_for_user, staff_view
from kapcare.clinics.roles import allows
from kapcare.patients.access import get_patient_for_user
from kapcare.patients.consent import Channel, ConsentDocument, ConsentKind, ConsentSignature, consent_status
from kapcare.patients.consent_forms import ConsentSignForm
from kapcare.patients.preparation import PreparationConfirmation, checklist_status


@require_GET
@staff_view("consents.view")
def consent_panel(request, pk):
    patient = get_patient_for_user(request, pk)
    context = {
        "patient": patient,
        "rows": consent_status(patient),
        "can_witness": allows(request.membership.role, "consents.witness"),
    }
    return render(request, "patients/consent_panel.html#panel", context)


@require_http_methods(["GET", "POST"])
@staff_view("consents.witness")
def consent_sign_in_clinic(request, pk, kind):
    """The patient reads and signs on the clinic's device; the member of staff witnesses it."""
    patient = get_patient_for_user(request, pk)
    document = ConsentDocument.objects.current(patient.clinic_id).get(kind)
    if kind not in ConsentKind.values or document is None:
        raise Http404("The clinic has not published this document.")
    form = ConsentSignForm(request.POST or None, document=document)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document.sign(
                patient,
                typed_name=data["typed_name"],
                shown_version=data["version"],
                shown_sha256=data["sha256"],
                channel=Channel.CLINIC,
                request=request,
                witnessed_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{patient.name} signed “{document.title}”, v{document.version}.")
            return redirect("patients:chart", pk=patient.pk)
    context = {"patient": patient, "document": document, "form": form}
    return render(request, "patients/consent_sign.html", context, status=400 if form.errors else 200)


@require_GET
@staff_view("consents.view")
def consent_pdf(request, pk):
    signature = get_object_for_user(request, ConsentSignature.objects.all(), pk=pk)
    record(request, "export", signature, detail={"pdf": True})
    response = HttpResponse(bytes(signature.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="consent-{signature.kind}-v{signature.version}.pdf"'
    return response


@require_GET
@staff_view("preparation.view")
def preparation_panel(request, pk):
    patient = get_patient_for_user(request, pk)
    today = timezone.localdate()
    context = {
        "patient": patient,
        "days": [checklist_status(patient, today), checklist_status(patient, today + timedelta(days=1))],
        "recent": PreparationConfirmation.objects.filter(patient=patient)[:5],
    }
    return render(request, "patients/preparation_panel.html#panel", context)
