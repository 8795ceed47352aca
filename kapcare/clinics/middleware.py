"""Guards the staff app: signed in, a member of a clinic, and past the second factor."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

STAFF_PREFIX = "/staff/"
REFRESHED_KEY = "_refreshed"


def stale(session, now: int) -> bool:
    return now - session.get(REFRESHED_KEY, 0) >= settings.SESSION_REFRESH_SECONDS


class SlidingSessionMiddleware:
    """Keeps a signed-in session alive while it is used, as SESSION_SAVE_EVERY_REQUEST would, but
    rewrites it at most once per SESSION_REFRESH_SECONDS rather than on every page and every poll
    of the live board. A session therefore ends at most that much sooner than IDLE_MINUTES after
    the last request, never later."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None:
            return response
        now = int(time.time())
        if session.modified:
            session[REFRESHED_KEY] = now  # saved anyway (a sign-in, a message): note when
        elif not session.is_empty() and stale(session, now):
            session[REFRESHED_KEY] = now  # saved, with a new expiry, by SessionMiddleware
        return response


def open_page(view):
    """A staff page anyone may open: the sign-in page."""
    view.staff_open = True
    return view


def before_second_factor(view):
    """A staff page for a signed-in user who has not yet given a one-time code."""
    view.before_second_factor = True
    return view


def needs_second_factor(user, membership) -> bool:
    if settings.DEMO_MODE and membership is not None and membership.clinic.is_demo:
        return False
    return not user.is_verified()


class StaffMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.path.startswith(STAFF_PREFIX) or getattr(view_func, "staff_open", False):
            return None
        user = request.user
        if not user.is_authenticated:
            return self.to_signin(request)
        membership = self.active_membership(request)
        request.membership = user.active_membership = membership
        if membership is None:
            return render(request, "clinics/no_clinic.html", status=403)
        timezone.activate(membership.clinic.zone)
        if getattr(view_func, "before_second_factor", False):
            return None
        if needs_second_factor(user, membership):
            name = (
                "clinics:2fa_verify"
                if user.totpdevice_set.filter(confirmed=True).exists()
                else "clinics:2fa_setup"
            )
            return self.redirect(request, reverse(name))
        return None

    def active_membership(self, request):
        memberships = list(request.user.memberships.active().select_related("clinic"))
        chosen = request.session.get("clinic_id")
        for membership in memberships:
            if membership.clinic_id == chosen:
                return membership
        return memberships[0] if memberships else None

    def to_signin(self, request):
        url = reverse(settings.LOGIN_URL) + "?" + urlencode({"next": request.get_full_path()})
        return self.redirect(request, url)

    def redirect(self, request, url):
        if request.htmx:
            # An HTMX swap would otherwise put the sign-in page inside a panel.
            response = redirect(url)
            response.status_code = 204
            response["HX-Redirect"] = url
            return response
        return redirect(url)
