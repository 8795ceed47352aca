"""The staff page where a clinic admin issues and revokes FHIR API tokens."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kapcare.audit.trail import record
from kapcare.clinics.access import get_object_for_user, staff_view
from kapcare.fhir.models import ApiToken
from kapcare.fhir.registry import registry
from kapcare.fhir.scopes import ScopeError, parse_scopes
from kapcare.patients.models import Patient


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, label="What uses it", help_text="For example 'state registry feed'."
    )
    scopes = forms.CharField(
        max_length=500,
        initial="system/*.read",
        help_text="SMART scopes separated by spaces: system/*.read, system/Patient.write, patient/*.rs.",
    )
    patient_mrn = forms.CharField(
        max_length=20, required=False, label="Patient MRN", help_text="Only for patient/ scopes."
    )

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic

    def clean(self):
        data = super().clean()
        try:
            scopes = parse_scopes(data.get("scopes", ""), known_types=registry().types())
        except ScopeError as error:
            self.add_error("scopes", str(error))
            return data
        mrn = data.get("patient_mrn", "").strip()
        needs_patient = any(scope.context == "patient" for scope in scopes)
        data["patient"] = Patient.objects.filter(clinic=self.clinic, mrn=mrn).first() if mrn else None
        if needs_patient and data["patient"] is None:
            self.add_error("patient_mrn", "patient/ scopes need the MRN of a patient of this clinic.")
        elif mrn and data["patient"] is None:
            self.add_error("patient_mrn", f"No patient has MRN {mrn} here.")
        return data


@never_cache
@require_http_methods(["GET", "POST"])
@staff_view("api.manage")
def token_list(request):
    clinic = request.membership.clinic
    form = TokenForm(request.POST or None, clinic=clinic)
    secret = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        token, secret = ApiToken.issue(
            clinic=clinic,
            scopes=data["scopes"],
            name=data["name"],
            created_by=request.user,
            patient=data["patient"],
        )
        record(
            request,
            "security",
            token,
            detail={"event": "api token issued", "scopes": token.scopes, "name": token.name},
        )
        form = TokenForm(clinic=clinic)
    tokens = ApiToken.objects.filter(clinic=clinic).select_related("created_by", "patient")
    return render(
        request,
        "fhir/tokens.html",
        {"form": form, "tokens": tokens, "secret": secret},
        status=400 if form.errors else 200,
    )


@require_POST
@staff_view("api.manage")
def revoke(request, pk):
    token = get_object_for_user(request, ApiToken.objects.all(), pk=pk)
    if not token.is_revoked:
        token.revoke(by=request.user)
        record(request, "security", token, detail={"event": "api token revoked", "name": token.name})
        messages.success(request, f"Revoked the token for {token.name}: it no longer works.")
    return redirect("fhir:tokens")
