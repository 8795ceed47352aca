"""The clinic's instruments in the staff app: the list, importing a FHIR Questionnaire with its
item-by-item report, the clinic's own alert rules and the reference SD for reliable change.

No patient's answers appear here; every change is written to the audit trail by the model."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapcare.clinics.access import get_object_for_user, staff_view
from kapcare.measures import forms
from kapcare.measures.importing import import_questionnaire, report_for
from kapcare.measures.models import Instrument, InstrumentError
from kapcare.measures.questionnaires import QuestionnaireError

LIGHT = ("questionnaire", "import_report")  # the list needs neither


@require_GET
@staff_view("measures.configure")
def instruments(request):
    found = Instrument.objects.visible_to(request.user).defer(*LIGHT).order_by("title")
    return render(request, "measures/instruments.html", {"instruments": list(found)})


@require_GET
@staff_view("measures.configure")
def instrument(request, pk):
    found = get_object_for_user(request, Instrument.objects, pk=pk)
    return _settings_page(request, found)


def _settings_page(request, instrument, *, rule_form=None, sd_form=None, remove_form=None):
    sd_initial = {"sd": instrument.change_sd, "source": instrument.change_sd_source}
    context = {
        "instrument": instrument,
        "built_in_flags": instrument.scoring.get("flags", []),
        "jacobson_truax": [
            r
            for r in (instrument.scoring.get("change") or {}).get("reliable_change", [])
            if r["method"] == "jacobson-truax"
        ],
        "rule_form": rule_form or forms.ClinicRuleForm(instrument=instrument),
        "sd_form": sd_form or forms.ReferenceSDForm(initial=sd_initial),
        "remove_form": remove_form,
    }
    return render(request, "measures/instrument.html", context)


@require_POST
@staff_view("measures.configure")
def rule_add(request, pk):
    found = get_object_for_user(request, Instrument.objects, pk=pk)
    form = forms.ClinicRuleForm(request.POST, instrument=found)
    if form.is_valid():
        try:
            found.add_clinic_rule(form.rule(), by=request.user, request=request)
        except InstrumentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Rule {form.cleaned_data['code']} added: it applies to new results.")
            return redirect("measures:instrument", pk=found.pk)
    return _settings_page(request, found, rule_form=form)


@require_POST
@staff_view("measures.configure")
def rule_remove(request, pk):
    found = get_object_for_user(request, Instrument.objects, pk=pk)
    form = forms.RemoveRuleForm(request.POST)
    if form.is_valid():
        try:
            found.remove_clinic_rule(
                form.cleaned_data["code"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                request=request,
            )
        except InstrumentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Rule {form.cleaned_data['code']} removed; the reason is recorded.")
            return redirect("measures:instrument", pk=found.pk)
    return _settings_page(request, found, remove_form=form)


@require_POST
@staff_view("measures.configure")
def reference_sd(request, pk):
    found = get_object_for_user(request, Instrument.objects, pk=pk)
    form = forms.ReferenceSDForm(request.POST)
    if form.is_valid():
        try:
            found.set_reference_sd(
                form.cleaned_data["sd"], form.cleaned_data["source"], by=request.user, request=request
            )
        except InstrumentError as error:
            form.add_error(None, str(error))
        else:
            said = "cleared" if found.change_sd is None else f"set to {found.change_sd}"
            messages.success(request, f"Reference SD {said}.")
            return redirect("measures:instrument", pk=found.pk)
    return _settings_page(request, found, sd_form=form)


@require_http_methods(["GET", "POST"])
@staff_view("measures.configure")
def import_view(request):
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            imported = import_questionnaire(
                request.membership.clinic,
                form.cleaned_data["file"],
                name=form.cleaned_data["name"] or None,
                actor=request.user,
                request=request,
            )
        except QuestionnaireError as error:
            form.add_error("file", f"Nothing was imported: {error}")
        else:
            context = {"instrument": imported.instrument, "report": report_for(imported)}
            return render(request, "measures/imported.html", context)
    return render(request, "measures/import.html", {"form": form})
