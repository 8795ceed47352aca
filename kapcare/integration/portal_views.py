"""The patient's side in the portal: the integration journal and their goals in plain words."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapcare.integration.forms import JournalForm
from kapcare.integration.goals import progress_over_time
from kapcare.integration.journal import prompts_for
from kapcare.integration.models import Goal, JournalEntry, Status, TherapySession
from kapcare.patients.models import OPEN_STATES
from kapcare.patients.portal_access import portal_record, portal_view


def own_entry(request, pk) -> JournalEntry:
    """One of the signed-in patient's entries; anyone else's is not found."""
    entry = JournalEntry.objects.filter(patient=request.portal_patient, pk=pk).first()
    if entry is None:
        raise Http404("No such journal entry.")
    return entry


def portal_goals(patient):
    course = patient.courses.filter(state__in=OPEN_STATES).first() or patient.courses.first()
    if course is None:
        return []
    return progress_over_time(Goal.objects.filter(course=course, is_active=True))


@require_GET
@portal_view
def portal_panel(request):
    """The portal home's section: goals and progress, and the way into the journal."""
    patient = request.portal_patient
    context = {
        "goals": portal_goals(patient),
        "entries": JournalEntry.objects.filter(patient=patient).count(),
        "last_dosing": prompts_for(patient)[0],
        "upcoming": list(
            TherapySession.objects.filter(
                patient=patient, status=Status.SCHEDULED, scheduled_at__gte=timezone.now()
            ).order_by("scheduled_at")[:3]
        ),
    }
    template = "integration/portal_panel.html#panel" if request.htmx else "integration/portal_panel.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@portal_view
def journal(request):
    patient = request.portal_patient
    last, prompts = prompts_for(patient)
    prompt = request.GET.get("prompt", "")
    form = JournalForm(request.POST or None, initial={"prompt": prompt if prompt in prompts else ""})
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            entry = form.save(commit=False)
            entry.clinic_id, entry.patient = patient.clinic_id, patient
            entry.after_dosing_id = last.id if last else None
            if form.cleaned_data["share"]:
                entry.shared_at = timezone.now()
            entry.save()
            portal_record(request, "create", entry, detail={"shared": entry.is_shared})
        if entry.is_shared:
            messages.success(
                request, "Saved and shared with your therapist. They will read it before your next session."
            )
        else:
            messages.success(request, "Saved. Only you can see this entry.")
        return redirect("integration:journal")
    context = {
        "form": form,
        "prompts": prompts,
        "last_dosing": last,
        "entries": list(JournalEntry.objects.filter(patient=patient)[:50]),
    }
    return render(
        request, "integration/journal.html", context, status=400 if request.method == "POST" else 200
    )


@require_http_methods(["GET", "POST"])
@portal_view
def journal_entry(request, pk):
    entry = own_entry(request, pk)
    form = JournalForm(request.POST or None, instance=entry, initial={"share": entry.is_shared})
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            entry = form.save(commit=False)
            share = form.cleaned_data["share"]
            if share and entry.shared_at is None:
                entry.shared_at = timezone.now()
            elif not share:
                entry.shared_at = None
            entry.save()
            portal_record(request, "update", entry, detail={"shared": entry.is_shared})
        messages.success(request, "Your entry is saved.")
        return redirect("integration:journal")
    return render(
        request,
        "integration/journal_entry.html",
        {"form": form, "entry": entry},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@portal_view
def journal_share(request, pk):
    """Share an entry with the therapist, or take it back (a note already signed keeps its copy)."""
    entry = own_entry(request, pk)
    share = request.POST.get("share") == "yes"
    with transaction.atomic():
        entry.shared_at = (entry.shared_at or timezone.now()) if share else None
        entry.save(update_fields=["shared_at", "updated_at"])
        portal_record(request, "update", entry, detail={"shared": share})
    if share:
        messages.success(request, "Shared with your therapist.")
    else:
        messages.success(
            request,
            "This entry is private again. Notes your therapist has already signed keep what they read.",
        )
    return redirect("integration:journal")
