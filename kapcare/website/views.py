"""The clinic's public website: pages, FAQ, and the ways in that each create a lead."""

import json

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kapcare.audit.trail import record
from kapcare.clinics.models import Clinic
from kapcare.leads.intake import create_lead, opt_in, opt_out, receive_text
from kapcare.leads.models import ContactMethod, CoverageRequest, Kind, LeadSettings, SmsOptOut
from kapcare.website import forms, ratelimit, screen, sms, tasks
from kapcare.website.models import Faq, GuideRequest, Page, ProviderProfile, SelfScreen
from kapcare.website.pages import PAGES, SLUGS, shipped, shipped_faqs

JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def public_clinic():
    """The clinic this site speaks for: the first one, which is the only one in most installs."""
    return Clinic.objects.select_related("website").order_by("pk").first()


def site(request, **context):
    """What every public page needs: the clinic, its contact details and the navigation."""
    clinic = public_clinic()
    website = getattr(clinic, "website", None) if clinic else None
    # Every page of the clinic in one query: the menu needs their labels, the page view its text.
    pages = {p.slug: p for p in Page.objects.filter(clinic=clinic).defer("body")} if clinic else {}
    nav = [(pages[slug].nav if slug in pages else shipped(slug).nav, "/" + path) for slug, path in PAGES]
    phone = (website.phone if website and website.phone else None) or (clinic.phone if clinic else "")
    text_number = website.text_number if website and website.text_number else None
    return {
        "public_clinic": clinic,
        "website": website,
        "public_phone": str(phone) if phone else "",
        "public_phone_display": display_phone(phone),
        "text_number_display": display_phone(text_number),
        "public_email": (website.email if website and website.email else "")
        or (clinic.email if clinic else ""),
        "text_number": str(website.text_number) if website and website.text_number else "",
        "nav": nav,
        "pages": pages,
        **context,
    }


def display_phone(number) -> str:
    """A number as people in the clinic's country write it: (617) 555-0140."""
    if not number:
        return ""
    from phonenumber_field.phonenumber import to_python

    parsed = to_python(number)
    return parsed.as_national if parsed is not None and parsed.is_valid() else str(number)


@require_safe
def home(request):
    context = site(request)
    clinic = context["public_clinic"]
    context["sites"] = list(clinic.sites.filter(is_active=True)) if clinic else []
    return render(request, "website/home.html", context)


@require_safe
def page(request, slug):
    context = site(request)
    # The clinic's edited page if there is one, else the shipped text.
    context["page"] = context["pages"].get(slug) or shipped(slug)
    if slug == "insurance-and-costs":
        context["payers"] = in_network_payers(context["public_clinic"])
    return render(request, "website/page.html", context)


def payer_model():
    """The coverage app's Payer, once it has one; until then the site shows only general text."""
    from django.apps import apps

    try:
        return apps.get_model("coverage", "Payer")
    except LookupError:
        return None


def in_network_payers(clinic) -> list[str]:
    Payer = payer_model()
    if Payer is None or clinic is None:
        return []
    return list(Payer.objects.filter(clinic=clinic, in_network=True).values_list("name", flat=True))


def all_payers(clinic) -> list[str]:
    Payer = payer_model()
    if Payer is None or clinic is None:
        return []
    return list(Payer.objects.filter(clinic=clinic).values_list("name", flat=True))


@require_safe
def faq(request):
    context = site(request)
    clinic = context["public_clinic"]
    faqs = list(Faq.objects.filter(clinic=clinic)) if clinic else []
    if not faqs:
        faqs = [Faq(question=q, answer=a) for q, a in shipped_faqs()]
        for item in faqs:
            item.answer_html = shipped_answer_html(item.answer)
    structured = {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": f.question,
                "acceptedAnswer": {"@type": "Answer", "text": f.answer_html},
            }
            for f in faqs
        ],
    }
    context["faqs"] = faqs
    context["structured_data"] = json.dumps(structured).translate(JSON_ESCAPES)
    return render(request, "website/faq.html", context)


def shipped_answer_html(text):
    from kapcare.website.markdown import render as render_markdown

    return render_markdown(text)


def too_many(request, form, name, template, context, status=429):
    form.add_error(
        None,
        "This form has been sent from your connection several times in the last hour. "
        "Please try again later, or call us.",
    )
    return render(request, template, {**context, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
def contact(request):
    context = site(request)
    clinic = context["public_clinic"]
    form = forms.ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and clinic:
        if form.is_bot:
            return redirect("website:thanks", kind="message")
        if not ratelimit.allow(request, "contact"):
            return too_many(request, form, "contact", "website/contact.html", context)
        data = form.cleaned_data
        create_lead(
            clinic,
            Kind.MESSAGE,
            request=request,
            message=data["message"],
            name=data["name"],
            email=data["email"],
            phone=data["phone"] or "",
            preferred_contact=data["preferred_contact"],
            preferred_time=data["preferred_time"],
            condition=data["condition"],
            text_consent_at=timezone.now() if data["text_consent"] else None,
            text_consent_source="ticked the box on the contact form" if data["text_consent"] else "",
        )
        return redirect("website:thanks", kind="message")
    return render(request, "website/contact.html", {**context, "form": form})


@require_http_methods(["GET", "POST"])
def verify_coverage(request):
    context = site(request)
    clinic = context["public_clinic"]
    form = forms.CoverageForm(request.POST or None, request.FILES or None, payers=all_payers(clinic))
    if request.method == "POST" and form.is_valid() and clinic:
        if form.is_bot:
            return redirect("website:thanks", kind="coverage")
        if not ratelimit.allow(request, "coverage"):
            return too_many(request, form, "coverage", "website/coverage.html", context)
        data = form.cleaned_data
        with transaction.atomic():
            lead = create_lead(
                clinic,
                Kind.COVERAGE,
                request=request,
                message=f"Please verify my coverage with {form.payer_name}.",
                name=data["name"],
                email=data["email"],
                phone=data["phone"] or "",
                preferred_contact=ContactMethod.EMAIL if data["email"] else ContactMethod.PHONE,
                date_of_birth=data["subscriber_date_of_birth"] if data["relationship"] == "self" else None,
            )
            CoverageRequest.objects.create(
                lead=lead,
                payer_name=form.payer_name,
                payer_ref="" if data["payer"] == "other" else data["payer"],
                member_id=data["member_id"].strip(),
                group_number=data["group_number"].strip(),
                subscriber_name=data["subscriber_name"],
                subscriber_date_of_birth=data["subscriber_date_of_birth"],
                relationship=data["relationship"],
                card_front=data["card_front"],
                card_back=data["card_back"],
            )
        return redirect("website:thanks", kind="coverage")
    payer_key = "|".join(form.fields["payer"].choices[i][0] for i in range(len(form.fields["payer"].choices)))
    max_mb = settings.WEBSITE_CARD_MAX_BYTES // (1024 * 1024)
    context.update(form=form, payer_key=payer_key, max_mb=max_mb)
    return render(request, "website/coverage.html", context)


@require_http_methods(["GET", "POST"])
def guide(request):
    context = site(request)
    clinic, website = context["public_clinic"], context["website"]
    if clinic is None or website is None or not website.guide_pdf:
        raise Http404("This clinic has no guide to send yet.")
    form = forms.GuideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.is_bot:
            return redirect("website:thanks", kind="guide")
        if not ratelimit.allow(request, "guide"):
            return too_many(request, form, "guide", "website/guide.html", context)
        with transaction.atomic():
            ask = GuideRequest.objects.create(clinic=clinic, email=form.cleaned_data["email"])
            record(request, "create", ask, clinic=clinic.pk)
            link = request.build_absolute_uri(reverse("website:guide_confirm", kwargs={"token": ask.token}))
            tasks.send_guide_confirmation.enqueue(ask.pk, link)
        return redirect("website:thanks", kind="guide")
    return render(request, "website/guide.html", {**context, "form": form})


@require_http_methods(["GET", "POST"])
def guide_confirm(request, token):
    context = site(request)
    ask = get_object_or_404(GuideRequest.objects.select_related("clinic__website"), token=token)
    if ask.is_expired and not ask.confirmed_at:
        return render(request, "website/guide_confirm.html", {**context, "expired": True}, status=410)
    # A GET only shows the button: mail scanners open links, and must not confirm for the person.
    if request.method == "POST" and not ask.confirmed_at:
        confirm_guide(request, ask)
        return redirect("website:thanks", kind="guide-sent")
    return render(request, "website/guide_confirm.html", {**context, "ask": ask})


def confirm_guide(request, ask):
    website = ask.clinic.website
    with transaction.atomic():
        ask.confirmed_at = timezone.now()
        ask.lead = create_lead(
            ask.clinic, Kind.GUIDE, request=request, email=ask.email, preferred_contact=ContactMethod.EMAIL,
            message=f"Confirmed their address and was sent the guide “{website.guide_title}”.",
        )  # fmt: skip
        ask.save(update_fields=["confirmed_at", "lead"])
        tasks.send_guide.enqueue(ask.pk)


@require_http_methods(["GET", "POST"])
def self_screen(request):
    context = site(request)
    clinic, website = context["public_clinic"], context["website"]
    form = forms.ScreenForm(request.POST or None)
    context.update(stem=screen.stem(), form=form, form_version=screen.VERSION)
    if request.method == "POST" and form.is_valid() and clinic:
        if form.is_bot:
            return redirect("website:home")
        data = form.cleaned_data
        result = screen.assess(
            data,
            phq2_cutoff=website.phq2_cutoff if website else 3,
            gad2_cutoff=website.gad2_cutoff if website else None,
        )
        token = ""
        if data["keep"]:
            answers = {k: v for k, v in data.items() if k not in ("keep", "website")}
            with transaction.atomic():
                kept = SelfScreen.objects.create(
                    clinic=clinic, answers=answers, phq2=result.phq2, gad2=result.gad2, outcome=result.outcome
                )
                record(request, "create", kept, clinic=clinic.pk)
            token = kept.token
        contact_form = forms.ScreenContactForm(initial={"token": token})
        return render(
            request, "website/screen_result.html", {**context, "result": result, "contact_form": contact_form}
        )
    return render(request, "website/screen.html", context)


@require_POST
def self_screen_contact(request):
    context = site(request)
    clinic = context["public_clinic"]
    form = forms.ScreenContactForm(request.POST)
    if form.is_valid() and clinic:
        if form.is_bot:
            return redirect("website:thanks", kind="message")
        if not ratelimit.allow(request, "screen"):
            return too_many(request, form, "screen", "website/screen_contact.html", context)
        data = form.cleaned_data
        kept = (
            SelfScreen.objects.filter(clinic=clinic, token=data["token"], lead=None).first()
            if data["token"]
            else None
        )
        details = {}
        if kept is not None:
            website = context["website"]
            cutoffs = (
                {"phq2_cutoff": website.phq2_cutoff, "gad2_cutoff": website.gad2_cutoff} if website else {}
            )
            details = {
                "self_screen": screen.assess(
                    kept.answers, **{"phq2_cutoff": 3, "gad2_cutoff": None, **cutoffs}
                ).summary()
            }
        with transaction.atomic():
            lead = create_lead(
                clinic, Kind.SELF_SCREEN, request=request, name=data["name"], email=data["email"],
                phone=data["phone"] or "", preferred_contact=data["preferred_contact"], details=details,
                message="Took the self-screen and asked the clinic to get in touch"
                + (", and kept their answers." if kept else "; answers not kept."),
            )  # fmt: skip
            if kept is not None:
                SelfScreen.objects.filter(pk=kept.pk).update(lead=lead)
        return redirect("website:thanks", kind="message")
    return render(request, "website/screen_contact.html", {**context, "form": form}, status=400)


THANKS = {
    "message": ("Thank you: your message is with us", "Someone from the clinic will reply"),
    "coverage": ("Thank you: we will check your coverage", "We will tell you what we find"),
    "guide": ("Check your email", "We have sent you a link. Open it and press Confirm to get the guide"),
    "guide-sent": ("The guide is on its way", "We have emailed it to you"),
}


@require_safe
def thanks(request, kind):
    if kind not in THANKS:
        raise Http404()
    context = site(request)
    clinic = context["public_clinic"]
    target = (
        LeadSettings.objects.filter(clinic=clinic).values_list("response_target_hours", flat=True).first()
    )
    title, text = THANKS[kind]
    return render(
        request,
        "website/thanks.html",
        {**context, "title": title, "text": text, "target": target, "kind": kind},
    )


@csrf_exempt
@require_POST
def sms_inbound(request):
    """Texts to the clinic's number, posted by the SMS provider; refused unless signed with our token."""
    params = {name: request.POST.getlist(name) for name in request.POST}
    url = request.build_absolute_uri()
    given = request.headers.get("X-Twilio-Signature", "")
    if not sms.is_signed(settings.TWILIO_AUTH_TOKEN, url, params, given):
        return HttpResponseForbidden("Signature does not match.")
    to, sender, body = request.POST.get("To", ""), request.POST.get("From", ""), request.POST.get("Body", "")
    lead_settings = LeadSettings.objects.filter(sms_number=to).select_related("clinic").first()
    if lead_settings is None or not sender:
        raise Http404("No clinic texts from this number.")
    clinic = lead_settings.clinic
    word = sms.keyword(body)
    if word == "stop":
        opt_out(clinic, sender, request=request)
        reply = f"{clinic.name}: you will get no more texts from us. Reply START to get them again."
    elif word == "start":
        opt_in(clinic, sender, request=request)
        reply = f"{clinic.name}: texts are back on. Reply STOP to stop."
    elif word == "help":
        reply = help_text(clinic)
    else:
        receive_text(clinic, sender, body, provider_id=request.POST.get("MessageSid", ""), request=request)
        opted_out = SmsOptOut.is_opted_out(clinic.pk, sender)
        reply = None if opted_out else (
            f"{clinic.name}: thank you, we have your message and will reply. Texts are not read around the "
            "clock: in a crisis call or text 988, in an emergency call 911."
        )  # fmt: skip
    return HttpResponse(sms.twiml(reply), content_type="text/xml")


def help_text(clinic) -> str:
    phone = f" Call us at {clinic.phone}." if clinic.phone else ""
    return f"{clinic.name}: reply STOP to stop texts.{phone} In a crisis call or text 988; emergency 911."


@require_safe
def robots(request):
    lines = [
        "User-agent: *",
        "Disallow: /staff/",
        "Disallow: /portal/",
        "Disallow: /fhir/",
        "Disallow: /guide/confirm/",
        f"Sitemap: {request.build_absolute_uri(reverse('website:sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@require_safe
def sitemap(request):
    names = ["website:home", *[f"website:{slug}" for slug in SLUGS], "website:faq", "website:contact",
             "website:providers", "website:verify_coverage", "website:self_screen"]  # fmt: skip
    clinic = public_clinic()
    if clinic and getattr(clinic, "website", None) and clinic.website.guide_pdf:
        names.append("website:guide")
    urls = [request.build_absolute_uri(reverse(name)) for name in names]
    return render(request, "website/sitemap.xml", {"urls": urls}, content_type="application/xml")


@require_safe
def providers(request):
    context = site(request)
    clinic = context["public_clinic"]
    people = (
        list(
            ProviderProfile.objects.filter(
                clinic=clinic, published=True, user__is_active=True
            ).select_related("user")
        )
        if clinic
        else []
    )
    return render(request, "website/providers.html", {**context, "providers": people})


@require_safe
def provider_photo(request, pk):
    """A published provider's photo; unpublished profiles have none to show."""
    profile = get_object_or_404(ProviderProfile, pk=pk, published=True)
    if not profile.photo:
        raise Http404()
    from django.http import FileResponse

    kind = profile.photo.name.rsplit(".", 1)[-1]
    content_type = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(
        kind, "application/octet-stream"
    )
    response = FileResponse(profile.photo.open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600"
    return response
