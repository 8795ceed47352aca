"""The staff app's front door, the patient list, the chart and the course of treatment."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapcare.audit.trail import record
from kapcare.clinics.access import staff_view
from kapcare.clinics.roles import allows
from kapcare.clinics.staff_app import chart_panels
from kapcare.patients.access import get_course_for_user, get_patient_for_user
from kapcare.patients.consent_views import consent_message
from kapcare.patients.forms import CourseForm, PatientForm, TransitionForm
from kapcare.patients.models import (
    OPEN_STATES,
    TRANSITIONS,
    ConsentMissing,
    Course,
    CourseState,
    Patient,
    TransitionError,
)

PAGE_SIZE = 25


@require_GET
@staff_view("patients.view")
def dashboard(request):
    courses = Course.objects.visible_to(request.user)
    counts = dict(courses.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    states = [(state, counts.get(state.value, 0)) for state in CourseState]
    recent = Patient.objects.visible_to(request.user).order_by("-created_at")[:8]
    record(request, "list", detail={"page": "dashboard"})
    return render(request, "patients/dashboard.html", {"states": states, "recent": recent})


@require_GET
@staff_view("patients.view")
def patient_list(request):
    query = request.GET.get("q", "").strip()[:100]
    state = request.GET.get("state", "")
    patients = Patient.objects.visible_to(request.user).search(query)
    if state in CourseState.values:
        patients = patients.filter(courses__state=state).distinct()
    page = Paginator(patients.only(*LIST_FIELDS), PAGE_SIZE).get_page(request.GET.get("page"))
    open_courses = {
        course.patient_id: course
        for course in Course.objects.filter(patient__in=[p.pk for p in page]).order_by("opened_at")
    }
    rows = [(patient, open_courses.get(patient.pk)) for patient in page]
    record(request, "list", detail={"query": query, "state": state, "page": page.number})
    context = {
        "page": page,
        "rows": rows,
        "query": query,
        "state": state,
        "states": CourseState.choices,
    }
    template = "patients/patient_list.html#results" if request.htmx else "patients/patient_list.html"
    return render(request, template, context)


LIST_FIELDS = (
    "id",
    "clinic_id",
    "mrn",
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "date_of_birth",
    "phone",
    "pronouns",
)


@require_http_methods(["GET", "POST"])
@staff_view("patients.create")
def patient_new(request):
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.instance.clinic = request.membership.clinic
            patient = form.save()
            record(request, "create", patient, patient=patient)
        messages.success(request, f"{patient.name} added, MRN {patient.mrn}.")
        return redirect("patients:chart", pk=patient.pk)
    return render(request, "patients/patient_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@staff_view("patients.edit")
def patient_edit(request, pk):
    patient = get_patient_for_user(request, pk)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            record(request, "update", patient, patient=patient, detail={"fields": form.changed_data})
        messages.success(request, "Saved.")
        return redirect("patients:chart", pk=patient.pk)
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient})


@require_GET
@staff_view("patients.view")
def chart(request, pk):
    patient = get_patient_for_user(request, pk)
    courses = list(
        patient.courses.select_related("site", "prescriber", "therapist").prefetch_related("transitions__by")
    )
    role = request.membership.role
    context = {
        "patient": patient,
        "courses": courses,
        "panels": chart_panels(role),
        "can_edit": allows(role, "patients.edit"),
        "can_open_course": allows(role, "courses.open") and not any(c.is_open for c in courses),
        "can_manage_course": allows(role, "courses.manage"),
    }
    return render(request, "patients/chart.html", context)


@require_http_methods(["GET", "POST"])
@staff_view("courses.open")
def course_new(request, pk):
    patient = get_patient_for_user(request, pk)
    clinic = request.membership.clinic
    form = CourseForm(request.POST or None, clinic=clinic)
    if request.method == "POST" and form.is_valid():
        if patient.courses.filter(state__in=OPEN_STATES).exists():
            form.add_error(None, "This patient already has an open course; complete or withdraw it first.")
        else:
            with transaction.atomic():
                course = form.save(commit=False)
                course.clinic, course.patient, course.opened_by = clinic, patient, request.user
                course.save()
                record(request, "create", course, patient=patient)
            messages.success(request, "Course opened; it starts in evaluation.")
            return redirect("patients:chart", pk=patient.pk)
    return render(request, "patients/course_form.html", {"form": form, "patient": patient})


@require_POST
@staff_view("courses.manage")
def course_transition(request, pk):
    course = get_course_for_user(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a state to move the course to.")
        return redirect("patients:chart", pk=course.patient_id)
    to, reason = form.cleaned_data["to_state"], form.cleaned_data["reason"]
    try:
        if to in TRANSITIONS[course.state] and to not in course.chart_moves():
            raise TransitionError(
                "Eligibility is decided, and treatment started, by signing the decision and the plan "
                "in the course's preparation section."
            )
        if course.is_resume(to):
            course.resume(by=request.user, request=request, reason=reason)
        else:
            course.move(to, by=request.user, request=request, reason=reason)
    except ConsentMissing as error:
        messages.error(request, consent_message(request, course.patient, error))
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Course is now {course.get_state_display().lower()}.")
    return redirect("patients:chart", pk=course.patient_id)
