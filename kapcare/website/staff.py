"""The staff side of the website: clinic admins edit page text, FAQs and contact details."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapcare.audit.trail import record
from kapcare.clinics.access import get_object_for_user, staff_view
from kapcare.website.markdown import render as render_markdown
from kapcare.website.models import Faq, Page, ProviderProfile, WebsiteSettings
from kapcare.website.pages import SLUGS, shipped, shipped_faqs
from kapcare.website.staff_forms import FaqForm, PageForm, ProviderProfileForm, WebsiteSettingsForm


def ensure_content(clinic):
    """Give the clinic its own editable copy of every shipped page and FAQ it does not have yet."""
    have = set(Page.objects.filter(clinic=clinic).values_list("slug", flat=True))
    for slug in SLUGS:
        if slug not in have:
            text = shipped(slug)
            Page.objects.create(
                clinic=clinic,
                slug=slug,
                title=text.title,
                nav=text.nav,
                description=text.description,
                body=text.body,
            )
    if not Faq.objects.filter(clinic=clinic).exists():
        for position, (question, answer) in enumerate(shipped_faqs()):
            Faq.objects.create(clinic=clinic, question=question, answer=answer, position=position)


@require_GET
@staff_view("website.edit")
def overview(request):
    clinic = request.membership.clinic
    ensure_content(clinic)
    context = {
        "pages": Page.objects.filter(clinic=clinic).select_related("updated_by"),
        "faqs": Faq.objects.filter(clinic=clinic),
        "settings": WebsiteSettings.for_clinic(clinic),
    }
    return render(request, "website/staff/overview.html", context)


@require_http_methods(["GET", "POST"])
@staff_view("website.edit")
def page_edit(request, pk):
    page = get_object_for_user(request, Page.objects.all(), pk=pk)
    form = PageForm(request.POST or None, instance=page)
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = render_markdown(form.cleaned_data["body"])
        else:
            with transaction.atomic():
                page = form.save(commit=False)
                page.updated_at, page.updated_by = timezone.now(), request.user
                page.save()
                record(request, "update", page, detail={"fields": form.changed_data})
            messages.success(request, f"“{page.title}” is saved and live on the site.")
            return redirect("website:staff_overview")
    return render(request, "website/staff/page_form.html", {"form": form, "page": page, "preview": preview})


@require_POST
@staff_view("website.edit")
def preview(request):
    """The Markdown as the public will see it, sanitised: for the live preview beside the editor."""
    html = render_markdown(request.POST.get("body", "") or request.POST.get("answer", ""))
    return render(request, "website/staff/preview.html", {"html": html})


@require_http_methods(["GET", "POST"])
@staff_view("website.edit")
def faq_new(request):
    return faq_form(request, Faq(clinic=request.membership.clinic))


@require_http_methods(["GET", "POST"])
@staff_view("website.edit")
def faq_edit(request, pk):
    return faq_form(request, get_object_for_user(request, Faq.objects.all(), pk=pk))


def faq_form(request, faq):
    form = FaqForm(request.POST or None, instance=faq)
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = render_markdown(form.cleaned_data["answer"])
        else:
            with transaction.atomic():
                faq = form.save()
                record(request, "update", faq, detail={"fields": form.changed_data})
            messages.success(request, "Question saved.")
            return redirect("website:staff_overview")
    return render(request, "website/staff/faq_form.html", {"form": form, "faq": faq, "preview": preview})


@require_POST
@staff_view("website.edit")
def faq_delete(request, pk):
    faq = get_object_for_user(request, Faq.objects.all(), pk=pk)
    with transaction.atomic():
        record(request, "delete", faq, detail={"question": faq.question})
        faq.delete()
    messages.success(request, "Question removed.")
    return redirect("website:staff_overview")


@require_http_methods(["GET", "POST"])
@staff_view("website.edit")
def site_settings(request):
    settings = WebsiteSettings.for_clinic(request.membership.clinic)
    form = WebsiteSettingsForm(request.POST or None, request.FILES or None, instance=settings)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            record(request, "update", settings, detail={"fields": form.changed_data})
        messages.success(request, "Contact details and settings saved.")
        return redirect("website:staff_overview")
    return render(request, "website/staff/settings_form.html", {"form": form})


@require_GET
@staff_view("website.edit")
def providers(request):
    clinic = request.membership.clinic
    members = clinic.memberships.active().select_related("user").order_by("user__full_name")
    profiles = {p.user_id: p for p in ProviderProfile.objects.filter(clinic=clinic)}
    rows = [(m, profiles.get(m.user_id)) for m in members]
    return render(request, "website/staff/providers.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@staff_view("website.edit")
def provider_edit(request, pk):
    """The directory profile of member `pk` (a membership), created on first save."""
    from kapcare.clinics.models import Membership

    membership = get_object_for_user(request, Membership.objects.select_related("user"), pk=pk)
    profile = ProviderProfile.objects.filter(clinic_id=membership.clinic_id, user=membership.user).first()
    if profile is None:
        profile = ProviderProfile(
            clinic_id=membership.clinic_id,
            user=membership.user,
            licence=membership.user.credentials,
            title=membership.role_label,
        )
    form = ProviderProfileForm(request.POST or None, request.FILES or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            profile = form.save()
            record(request, "update", profile, detail={"fields": form.changed_data})
        messages.success(request, f"Saved {membership.user.full_name}'s directory profile.")
        return redirect("website:staff_providers")
    return render(request, "website/staff/provider_form.html", {"form": form, "member": membership})
