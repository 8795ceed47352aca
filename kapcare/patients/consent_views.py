"""Consent and preparation on the staff side: the chart panels, signing in clinic, the signed PDF."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods

from kapcare.audit.trail import record
from kapcare.clinics.access import get_object_for_user, staff_view
from kapcare.clinics.roles import allows
from kapcare.patients.access import get_patient_for_user
from kapcare.patients.consent import Channel, ConsentDocument, ConsentKind, ConsentSignature, consent_status
from kapcare.patients.consent_forms import ConsentDocumentForm, ConsentSignForm, ConsentWithdrawalForm
from kapcare.patients.preparation import PreparationConfirmation, checklist_status


def consent_message(request, patient, error) -> str:
    """The refusal to start or resume treatment without the KAP consent, with the way to fix it."""
    role = request.membership.role
    if ConsentDocument.objects.current(patient.clinic_id).get(ConsentKind.KAP) is None:
        if allows(role, "consents.publish"):
            url = reverse("patients:consent_publish") + f"?kind={ConsentKind.KAP}"
            return format_html('{} <a href="{}">Publish the KAP consent</a>.', str(error), url)
        return str(error)
    if allows(role, "consents.witness"):
        url = reverse("patients:consent_sign", args=[patient.pk, ConsentKind.KAP])
        return format_html(
            '{} The patient can sign it in the portal, or <a href="{}">sign it here in clinic</a>.',
            str(error),
            url,
        )
    return format_html("{} The patient can sign it in the portal.", str(error))


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
    return render(request, "patients/consent_sign.html", context)


@require_GET
@staff_view("consents.view")
def consent_pdf(request, pk):
    signature = get_object_for_user(request, ConsentSignature.objects.all(), pk=pk)
    record(request, "export", signature, detail={"pdf": True})
    response = HttpResponse(bytes(signature.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="consent-{signature.kind}-v{signature.version}.pdf"'
    return response


@require_http_methods(["GET", "POST"])
@staff_view("consents.witness")
def consent_withdraw(request, pk):
    """Record a patient's written withdrawal of a consent they signed (a letter, a signed form)."""
    signature = get_object_for_user(
        request, ConsentSignature.objects.select_related("patient", "withdrawal").defer("pdf"), pk=pk
    )
    form = ConsentWithdrawalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signature.withdraw(
                channel=Channel.CLINIC,
                request=request,
                recorded_by=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Recorded: {signature.patient.name} withdrew this consent.")
            return redirect("patients:chart", pk=signature.patient_id)
    context = {"signature": signature, "patient": signature.patient, "form": form}
    return render(request, "patients/consent_withdraw.html", context)


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


@require_GET
@staff_view("consents.publish")
def consent_documents(request):
    """The clinic's consent documents, each with its versions and how many patients signed each."""
    documents = (
        ConsentDocument.objects.visible_to(request.user)
        .defer("body")
        .annotate(signed=Count("signatures"))
        .order_by("kind", "-version")
    )
    by_kind = {kind: [] for kind in ConsentKind.values}
    for document in documents:
        by_kind[document.kind].append(document)
    kinds = [(ConsentKind(kind), versions) for kind, versions in by_kind.items()]
    record(request, "list", detail={"page": "consent documents"})
    return render(request, "patients/consent_documents.html", {"kinds": kinds})


@require_http_methods(["GET", "POST"])
@staff_view("consents.publish")
def consent_publish(request):
    """A new version of one kind of document (`?kind=`): a kind, not a record, so no access helper."""
    kind = request.GET.get("kind", "")
    if kind not in ConsentKind.values:
        messages.error(request, "Choose which consent document to publish.")
        return redirect("patients:consent_documents")
    clinic = request.membership.clinic
    current = ConsentDocument.objects.current(clinic.pk).get(kind)
    form = ConsentDocumentForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        document = ConsentDocument.publish(
            clinic, kind, data["title"].strip(), data["body"], by=request.user, request=request
        )
        messages.success(request, f"Published version {document.version}. Patients will be asked to sign it.")
        return redirect("patients:consent_documents")
    context = {"form": form, "kind": ConsentKind(kind), "current": current}
    return render(request, "patients/consent_publish.html", context)
