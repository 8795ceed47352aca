"""Staff sign-in with a second factor, switching clinic, and running the clinic: team, sites, rooms."""

from base64 import b32encode

from axes.helpers import get_lockout_message
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.audit.trail import record
from kapcare.clinics.access import get_object_for_user, staff_view
from kapcare.clinics.forms import (
    AlertPhoneForm,
    ClinicianForm,
    MembershipForm,
    OneTimeCodeForm,
    RoomForm,
    SignInForm,
    SiteForm,
    StaffForm,
)
from kapcare.clinics.middleware import before_second_factor, open_page
from kapcare.clinics.models import Membership, Room, Site, User
from kapcare.lib.qr import qr_svg


def next_url(request, default="patients:dashboard") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(default)


@open_page
@require_http_methods(["GET", "POST"])
def signin(request):
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        user = authenticate(request, email=email, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return render(request, "clinics/locked.html", {"message": get_lockout_message()}, status=429)
        if user is None:
            record(request, "sign_in_failed", clinic=home_clinic(email), detail={"email": email})
            form.add_error(None, "That email and password do not match an active account.")
        else:
            login(request, user)
            record(request, "sign_in", actor=user, clinic=home_clinic(email))
            return redirect(next_url(request))
    return render(request, "clinics/signin.html", {"form": form, "next": request.GET.get("next", "")})


def home_clinic(email: str) -> int | None:
    """The clinic whose admins should see this account's sign-ins in their audit log."""
    return (
        Membership.objects.active()
        .filter(user__email__iexact=email)
        .values_list("clinic_id", flat=True)
        .first()
    )


@open_page
@require_POST
def signout(request):
    if request.user.is_authenticated:
        record(request, "sign_out")
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("clinics:signin")


@before_second_factor
@require_http_methods(["GET", "POST"])
def second_factor_setup(request):
    """Enrol an authenticator app: show a fresh secret as a QR code, confirm with one code."""
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("clinics:2fa_verify")
    device, _ = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            record(request, "security", detail={"event": "two-factor enrolled"})
            messages.success(request, "Two-factor sign-in is set up.")
            return redirect(next_url(request))
        form.add_error(
            "code", "That code is not right. Check the time on your phone and try the newest code."
        )
    context = {"form": form, "qr": qr_svg(device.config_url), "secret": _base32(device.bin_key)}
    return render(request, "clinics/second_factor_setup.html", context)


@before_second_factor
@require_http_methods(["GET", "POST"])
def second_factor_verify(request):
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect("clinics:2fa_setup")
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_is_allowed()[0] and device.verify_token(form.cleaned_data["code"].strip()):
            otp_login(request, device)
            return redirect(next_url(request))
        record(request, "security", detail={"event": "wrong one-time code"})
        form.add_error(
            "code",
            "That code is not right, or too many tries: wait a moment and use the newest code.",
        )
    return render(request, "clinics/second_factor_verify.html", {"form": form})


def _base32(key: bytes) -> str:
    """The secret as people type it into an app without a camera: base32, in groups of four."""
    text = b32encode(key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@before_second_factor
@require_POST
def switch_clinic(request):
    membership = request.user.memberships.active().filter(clinic_id=request.POST.get("clinic")).first()
    if membership is not None:
        request.session["clinic_id"] = membership.clinic_id
    return redirect("patients:dashboard")


@require_http_methods(["GET", "POST"])
def account(request):
    """A member's own account: the mobile number urgent alerts are texted to, and a way to the
    password. Only the member sets their number: a text goes where they said it may."""
    user = request.user
    form = AlertPhoneForm(request.POST or None, initial={"alert_phone": user.alert_phone})
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["alert_phone"]
        if phone != user.alert_phone:
            with transaction.atomic():
                user.alert_phone = phone
                user.save(update_fields=["alert_phone"])
                # The number itself stays out of the trail; that it changed is what matters.
                record(
                    request, "security", detail={"event": "alert phone " + ("set" if phone else "removed")}
                )
        if phone:
            messages.success(request, f"Urgent alerts will be texted to {phone} as well as emailed.")
        else:
            messages.success(request, "Urgent alerts will be emailed only.")
        return redirect("clinics:account")
    return render(request, "clinics/account.html", {"form": form})


@require_http_methods(["GET", "POST"])
def change_password(request):
    """Any signed-in member changes their own password; other sessions of theirs end."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        record(request, "security", detail={"event": "password changed"})
        messages.success(request, "Your password is changed.")
        return redirect("patients:dashboard")
    return render(request, "clinics/change_password.html", {"form": form})


@require_GET
@staff_view("staff.manage")
def team(request):
    members = Membership.objects.visible_to(request.user).select_related("user").order_by("user__full_name")
    return render(request, "clinics/team.html", {"members": members})


@require_http_methods(["GET", "POST"])
@staff_view("staff.manage")
def add_staff(request):
    clinic = request.membership.clinic
    form = StaffForm(request.POST or None, clinic=clinic)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            user = User.objects.filter(email__iexact=data["email"]).first()
            if user is None:
                user = User.objects.create_user(
                    data["email"],
                    data["password"],
                    full_name=data["full_name"],
                    credentials=data["credentials"],
                    npi=data["npi"],
                )
            membership = Membership.objects.create(user=user, clinic=clinic, role=data["role"])
            record(request, "create", membership, detail={"email": user.email, "role": membership.role})
        messages.success(request, f"{user.display_name} can now sign in as {membership.role_label.lower()}.")
        return redirect("clinics:team")
    return render(request, "clinics/add_staff.html", {"form": form})


@require_http_methods(["GET", "POST"])
@staff_view("staff.manage")
def edit_member(request, pk):
    membership = get_object_for_user(request, Membership.objects.select_related("user"), pk=pk)
    form = MembershipForm(request.POST or None, instance=membership)
    clinician = ClinicianForm(request.POST or None, instance=membership.user, prefix="clinician")
    if request.method == "POST" and all([form.is_valid(), clinician.is_valid()]):  # both, for every error
        if membership.pk == request.membership.pk and not form.cleaned_data["is_active"]:
            form.add_error("is_active", "You cannot deactivate your own membership.")
        else:
            with transaction.atomic():
                form.save()
                clinician.save()
                record(
                    request,
                    "update",
                    membership,
                    detail={
                        "role": membership.role,
                        "active": membership.is_active,
                        "credentials": membership.user.credentials,
                        "npi": membership.user.npi,
                    },
                )
            messages.success(request, f"Saved {membership.user.display_name}.")
            return redirect("clinics:team")
    return render(
        request, "clinics/edit_member.html", {"form": form, "clinician": clinician, "member": membership}
    )


@require_POST
@staff_view("staff.manage")
def reset_second_factor(request, pk):
    """For a member who lost their phone: they enrol a new authenticator at their next sign-in."""
    membership = get_object_for_user(request, Membership.objects.select_related("user"), pk=pk)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=membership.user).delete()
        record(
            request,
            "security",
            membership,
            detail={"event": "two-factor reset", "email": membership.user.email},
        )
    messages.success(
        request,
        f"{membership.user.display_name} will set up two-factor sign-in again when they next sign in.",
    )
    return redirect("clinics:edit_member", pk=membership.pk)


@require_GET
@staff_view("clinic.manage")
def sites(request):
    sites = Site.objects.visible_to(request.user).prefetch_related("rooms")
    return render(request, "clinics/sites.html", {"sites": sites})


@require_http_methods(["GET", "POST"])
@staff_view("clinic.manage")
def add_site(request):
    form = SiteForm(request.POST or None, initial={"time_zone": request.membership.clinic.time_zone})
    form.instance.clinic = request.membership.clinic
    return _save_form(request, form, "clinics/site_form.html", "clinics:sites", "Site saved.")


@require_http_methods(["GET", "POST"])
@staff_view("clinic.manage")
def edit_site(request, pk):
    site = get_object_for_user(request, Site.objects.all(), pk=pk)
    form = SiteForm(request.POST or None, instance=site)
    return _save_form(request, form, "clinics/site_form.html", "clinics:sites", "Site saved.")


@require_http_methods(["GET", "POST"])
@staff_view("clinic.manage")
def add_room(request):
    form = RoomForm(
        request.POST or None,
        clinic=request.membership.clinic,
        initial={"site": request.GET.get("site")},
    )
    return _save_form(request, form, "clinics/room_form.html", "clinics:sites", "Room saved.")


@require_http_methods(["GET", "POST"])
@staff_view("clinic.manage")
def edit_room(request, pk):
    room = get_object_for_user(request, Room.objects.select_related("site"), pk=pk)
    form = RoomForm(request.POST or None, instance=room, clinic=request.membership.clinic)
    return _save_form(request, form, "clinics/room_form.html", "clinics:sites", "Room saved.")


def _save_form(request, form, template, success_url, message):
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            action = "update" if form.instance.pk else "create"
            obj = form.save()
            record(request, action, obj, clinic=request.membership.clinic_id)
        messages.success(request, message)
        return redirect(success_url)
    return render(request, template, {"form": form})


def healthz(request):
    from django.db import connection
    from django.http import JsonResponse

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "demo": settings.DEMO_MODE})
