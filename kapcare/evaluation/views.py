"""Staff pages of the preparation phase: the evaluation with live screening, the eligibility
decision, the treatment plan, starting the course, the chart panel and the clinic's protocol."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapcare.audit.trail import record
from kapcare.clinics.access import get_object_for_user, staff_view
from kapcare.clinics.models import Protocol
from kapcare.clinics.protocol import Level, settings_table
from kapcare.clinics.roles import allows
from kapcare.evaluation import baseline, icd10
from kapcare.evaluation.forms import AddendumForm, DecisionForm, EvaluationForms, PlanForm, ProtocolForm
from kapcare.evaluation.models import (
    Addendum,
    Allergy,
    EligibilityDecision,
    Evaluation,
    Medication,
    OutsideCondition,
    OutsideMedication,
    PlanMedication,
    TreatmentPlan,
)
from kapcare.evaluation.screening import document_of, screen_document
from kapcare.evaluation.signing import (
    DECIDABLE,
    ConsentNeeded,
    EsketamineDose,
    PreparationError,
    dose_for,
    evaluation_of,
    findings_for,
    latest_decision,
    sign_decision,
    sign_plan,
    start_course,
)
from kapcare.lib.sql import first_and_count
from kapcare.patients.access import get_course_for_user, get_patient_for_user
from kapcare.patients.consent_views import consent_message
from kapcare.patients.models import Course


def evaluation_for(course) -> Evaluation:
    return evaluation_of(course) or Evaluation(
        clinic_id=course.clinic_id, course=course, patient=course.patient, evaluated_on=timezone.localdate()
    )


@require_http_methods(["GET", "POST"])
@staff_view("evaluation.edit")
def evaluation(request, pk):
    course = get_course_for_user(request, pk)
    current = evaluation_for(course)
    protocol = Protocol.active_for(course.clinic)
    # Screened before the form touches the instance: the saved evaluation, not a refused edit.
    findings = findings_for(current, protocol) if current.pk else []
    forms = EvaluationForms(current, request.POST or None, frozen=current.is_decided)
    if request.method == "POST" and current.is_decided:
        messages.error(
            request,
            "Nothing was saved: this evaluation is the evidence of a signed eligibility decision. "
            "Start a re-evaluation to record what changed.",
        )
        return redirect("evaluation:evaluation", pk=course.pk)
    if request.method == "POST":
        if forms.is_valid():
            with transaction.atomic():
                created = current.pk is None
                saved = forms.save(by=request.user)
                record(
                    request,
                    "create" if created else "update",
                    saved,
                    detail={"fields": forms.form.changed_data},
                )
            messages.success(request, "Evaluation saved.")
            return redirect("evaluation:evaluation", pk=course.pk)
        messages.error(request, "Nothing was saved: correct the fields marked below.")
    elif current.pk:
        record(request, "view", current)
    context = {
        "course": course,
        "patient": course.patient,
        "forms": forms,
        "evaluation": current,
        "decision": latest_decision(course) if current.is_decided else None,
        "can_reevaluate": current.is_decided and course.is_open,
        "findings": findings,
        "protocol": protocol,
        "screened": bool(current.pk),
        **baseline_context(course.patient),
    }
    return render(request, "evaluation/evaluation.html", context)


def baseline_context(patient) -> dict:
    phq9 = baseline.latest_phq9(patient)
    return {"phq9": phq9, "phq9_item9": baseline.item9_of(phq9)}


@require_POST
@staff_view("evaluation.edit")
def screen(request, pk):
    """Findings on the evaluation as it stands in the form, unsaved: the live screening panel."""
    course = get_course_for_user(request, pk)
    current = evaluation_for(course)
    forms = EvaluationForms(current, request.POST)
    forms.is_valid()
    draft = Evaluation(
        patient=course.patient,
        **{
            name: value
            for name, value in getattr(forms.form, "cleaned_data", {}).items()
            if name in {f.name for f in Evaluation._meta.fields}
        },
    )
    document = document_of(
        draft,
        forms.rows(forms.medications, Medication),
        forms.rows(forms.allergies, Allergy),
        phq9_item9=baseline.latest_phq9_item9(course.patient),
    )
    protocol = Protocol.active_for(course.clinic)
    findings = screen_document(document, protocol.rules)
    record(
        request, "view", current if current.pk else course, detail={"screening": [f.rule for f in findings]}
    )
    context = {"findings": findings, "protocol": protocol, "screened": True, "unsaved": not forms.is_valid()}
    return render(request, "evaluation/evaluation.html#findings", context)


@require_GET
@staff_view("evaluation.edit")
def icd_search(request):
    """ICD-10-CM codes matching what is typed, as <option>s for the code field's suggestions."""
    query = next((value for value in request.GET.values() if value.strip()), "")[:80]
    return render(
        request, "evaluation/icd_options.html", {"codes": icd10.search(query) if len(query) >= 2 else []}
    )


@require_POST
@staff_view("evaluation.edit")
def reevaluate(request, pk):
    """Start a re-evaluation: the frozen evaluation stays as the signed decision's evidence."""
    course = get_course_for_user(request, pk)
    current = evaluation_of(course)
    if current is None:
        messages.error(request, "There is no evaluation to re-evaluate yet.")
        return redirect("evaluation:evaluation", pk=course.pk)
    try:
        current.reevaluate(by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, "Re-evaluation started from the last evaluation; the signed decision keeps the original."
        )
    return redirect("evaluation:evaluation", pk=course.pk)


@require_POST
@staff_view("evaluation.edit")
def confirm_history(request, pk):
    """A clinician confirms they reviewed the history the patient reported in the portal."""
    course = get_course_for_user(request, pk)
    current = evaluation_of(course)
    if current is None or not current.awaiting_review:
        messages.error(request, "There is no patient-reported history waiting for review.")
    else:
        with transaction.atomic():
            Evaluation.objects.filter(pk=current.pk).update(
                reviewed_by=request.user, reviewed_at=timezone.now()
            )
            record(request, "update", current, detail={"reviewed": "patient-reported history"})
        messages.success(request, "Patient-reported history confirmed.")
    return redirect("evaluation:evaluation", pk=course.pk)


@require_http_methods(["GET", "POST"])
@staff_view("evaluation.decide")
def decide(request, pk):
    course = get_course_for_user(request, pk)
    current = evaluation_of(course)
    protocol = Protocol.active_for(course.clinic)
    findings = findings_for(current, protocol) if current else []
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sign_decision(course, **form.cleaned_data, by=request.user, request=request)
        except PreparationError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(
                request, f"Decision signed; the course is now {course.get_state_display().lower()}."
            )
            return redirect("patients:chart", pk=course.patient_id)
    context = {
        "course": course,
        "patient": course.patient,
        "evaluation": current,
        "findings": findings,
        "protocol": protocol,
        "form": form,
        "decidable": course.state in DECIDABLE,
        "has_exclusion": any(f.level == Level.EXCLUSION for f in findings),
    }
    return render(request, "evaluation/decide.html", context)


@require_http_methods(["GET", "POST"])
@staff_view("evaluation.decide")
def plan(request, pk):
    course = get_course_for_user(request, pk)
    current = evaluation_of(course)
    protocol = Protocol.active_for(course.clinic)
    diagnoses = list(current.diagnoses.all()) if current else []
    initial = {
        "weight_kg": current.weight_kg if current else None,
        "integration_within_hours": protocol.rules["integration"]["within_hours"]["value"],
        "target_conditions": [d.code for d in diagnoses],
    }
    form = PlanForm(request.POST or None, diagnoses=diagnoses, rules=protocol.rules, initial=initial)
    if request.method == "POST" and request.htmx:
        return render(
            request, "evaluation/plan.html#dose", {"dose": preview_dose(form, protocol), "protocol": protocol}
        )
    if request.method == "POST" and form.is_valid():
        try:
            sign_plan(course, form.cleaned_data, by=request.user, request=request)
        except PreparationError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, "Treatment plan signed.")
            return redirect("patients:chart", pk=course.patient_id)
    context = {
        "course": course,
        "patient": course.patient,
        "form": form,
        "protocol": protocol,
        "decision": latest_decision(course),
        "existing": TreatmentPlan.objects.filter(course=course).first(),
        "dose": preview_dose(form, protocol) if request.method == "POST" else None,
    }
    return render(request, "evaluation/plan.html", context)


def preview_dose(form, protocol):
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    if data.get("medication") == PlanMedication.ESKETAMINE:
        mg = data.get("dose_amount") if data.get("dose_unit") == "mg" else None
        return EsketamineDose(mg=mg, problems=form.esketamine_problems)
    if not all(data.get(k) for k in ("route", "dose_amount", "dose_unit", "weight_kg")):
        return None
    return dose_for(data["route"], data["dose_amount"], data["dose_unit"], data["weight_kg"], protocol.rules)


@require_POST
@staff_view("evaluation.decide")
def start(request, pk):
    course = get_course_for_user(request, pk)
    try:
        start_course(course, by=request.user, request=request)
    except ConsentNeeded as error:
        messages.error(request, consent_message(request, course.patient, error))
    except PreparationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The course is active.")
    return redirect("patients:chart", pk=course.patient_id)


@require_POST
@staff_view("evaluation.decide")
def decision_addendum(request, pk):
    decision = get_object_for_user(request, EligibilityDecision.objects.all(), pk=pk)
    return add_addendum(request, decision)


@require_POST
@staff_view("evaluation.decide")
def plan_addendum(request, pk):
    signed = get_object_for_user(request, TreatmentPlan.objects.all(), pk=pk)
    return add_addendum(request, signed)


def add_addendum(request, original):
    form = AddendumForm(request.POST)
    if form.is_valid():
        Addendum.add(original, form.cleaned_data["text"], by=request.user, request=request)
        messages.success(request, "Addendum signed; the original stays as it was.")
    else:
        messages.error(request, "Write the addendum before signing it.")
    return redirect("patients:chart", pk=original.patient_id)


@require_GET
@staff_view("patients.view")
def panel(request, pk):
    """The chart panel: evaluation status, findings, decision and plan of the patient's course.
    Roles outside the clinical team see only where preparation stands, none of its content."""
    patient = get_patient_for_user(request, pk)
    courses = list(Course.objects.filter(patient=patient).order_by("-opened_at"))
    course = next((c for c in courses if c.is_open), courses[0] if courses else None)
    role = request.membership.role
    clinical = allows(role, "evaluation.view")
    context = {
        "patient": patient,
        "course": course,
        "clinical": clinical,
        "can_mark_error": allows(role, "evaluation.edit"),
    }
    if clinical:
        context |= outside_conditions(patient) | outside_medications(patient)
    if course is not None:
        course.patient = patient
        current = evaluation_of(course)
        protocol = Protocol.active_for(patient.clinic)
        decisions = list(
            EligibilityDecision.objects.filter(course=course)
            .select_related("signed_by")
            .prefetch_related("addenda__by")
        )
        context |= {
            "evaluation": current,
            "findings": findings_for(current, protocol) if current and clinical else [],
            **(baseline_context(patient) if clinical else {}),
            "protocol": protocol,
            "decisions": decisions,
            "decision": decisions[0] if decisions else None,
            "plan": TreatmentPlan.objects.filter(course=course)
            .select_related("signed_by")
            .prefetch_related("addenda__by")
            .first(),
            "can_edit": allows(role, "evaluation.edit") and course.is_open,
            "can_decide": allows(role, "evaluation.decide"),
            "decidable": course.state in DECIDABLE,
            "addendum_form": AddendumForm(),
        }
    return render(request, "evaluation/panel.html#panel", context)


OUTSIDE_SHOWN = 20  # conditions from other records on the chart, latest onset first
MEDICATIONS_SHOWN = 20  # medications from other records on the chart, latest first


def from_other_records(model, patient, order, shown: int) -> tuple[list, list, int, int]:
    """The latest few of a patient's records kept from elsewhere: those in force, those marked
    entered in error (listed apart, with who said so and why), how many there are and how many
    are shown."""
    kept = model.objects.filter(clinic=patient.clinic_id, patient=patient).select_related("error_by")
    first, count = first_and_count(kept.order_by(F(order).desc(nulls_last=True), "-pk"), shown)
    return [r for r in first if not r.in_error], [r for r in first if r.in_error], count, len(first)


def outside_conditions(patient) -> dict:
    """The patient's conditions recorded elsewhere (sent through the FHIR API or imported), for the
    prescriber to weigh: not the evaluation's diagnoses, read by no screening rule."""
    found = from_other_records(OutsideCondition, patient, "onset_start", OUTSIDE_SHOWN)
    keys = ("outside_conditions", "outside_in_error", "outside_count", "outside_shown")
    return dict(zip(keys, found, strict=True))


def outside_medications(patient) -> dict:
    """The patient's medications recorded elsewhere (sent through the FHIR API, or an imported
    record's prescriptions), for the prescriber to reconcile with the evaluation's list: no
    screening rule reads them."""
    found = from_other_records(OutsideMedication, patient, "dated", MEDICATIONS_SHOWN)
    keys = ("outside_medications", "medications_in_error", "medications_count", "medications_shown")
    return dict(zip(keys, found, strict=True))


def mark_in_error(request, model, pk, name) -> HttpResponse:
    """Mark a record from another record entered in error (a wrong record, the wrong patient), with
    the reason; it stays on the record, apart. Another clinic's is not found."""
    kept = get_object_for_user(request, model.objects.all(), pk=pk)
    try:
        kept.mark_entered_in_error(by=request.user, reason=request.POST.get("reason", ""), request=request)
    except PreparationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{name(kept)} is marked entered in error.")
    return redirect("patients:chart", pk=kept.patient_id)


@require_POST
@staff_view("evaluation.edit")
def outside_condition_in_error(request, pk):
    return mark_in_error(request, OutsideCondition, pk, lambda c: f"{c.system_name} {c.code}")


@require_POST
@staff_view("evaluation.edit")
def outside_medication_in_error(request, pk):
    return mark_in_error(request, OutsideMedication, pk, lambda m: f"RxNorm {m.code}")


@require_GET
@staff_view("protocol.view")
def protocol(request):
    active = Protocol.active_for(request.membership.clinic)
    history = (
        Protocol.objects.visible_to(request.user)
        .select_related("created_by")
        .only(
            "version",
            "note",
            "is_active",
            "created_at",
            "created_by__full_name",
            "created_by__credentials",
            "clinic_id",
        )
    )
    rules = [
        rule | {"when_text": json.dumps(rule["when"]), "level_label": Level(rule["level"]).label}
        for rule in active.rules["screening"]
    ]
    rows = [row | {"display": shown(row["value"])} for row in settings_table(active.rules)]
    context = {
        "protocol": active,
        "rules": rules,
        "settings": rows,
        "history": history,
        "can_manage": allows(request.membership.role, "protocol.manage"),
    }
    return render(request, "evaluation/protocol.html", context)


def shown(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return {True: "yes", False: "no"}.get(value, str(value)) if isinstance(value, bool) else str(value)


@require_http_methods(["GET", "POST"])
@staff_view("protocol.manage")
def protocol_edit(request):
    clinic = request.membership.clinic
    active = Protocol.active_for(clinic)
    form = ProtocolForm(
        request.POST or None, initial={"rules": json.dumps(active.rules, indent=2, ensure_ascii=False)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            revised = Protocol.revise(
                clinic,
                form.cleaned_data["rules"],
                by=request.user,
                note=form.cleaned_data["note"],
                request=request,
            )
        except ValidationError as error:
            form.add_error("rules", error)
        else:
            messages.success(request, f"Protocol version {revised.version} is now in force.")
            return redirect("evaluation:protocol")
    return render(request, "evaluation/protocol_edit.html", {"form": form, "protocol": active})
