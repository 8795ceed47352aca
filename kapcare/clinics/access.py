"""Who may open a staff page: the role check and the object look-up, in one place.

Every staff view is wrapped in `staff_view(permission)`. A view that shows one record fetches it
through an access helper (`get_object_for_user`, or an app's own such as `get_patient_for_user`),
which answers 404 to anyone outside the record's clinic and only then 403 to a role that may not,
so an outsider never learns whether a record exists. The decorator fails closed: a view with an
object in its URL that forgets the helper is an error, not an open door.
"""

from functools import wraps

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.shortcuts import get_object_or_404

from kapcare.clinics import roles


def staff_view(permission: str):
    if permission not in roles.MATRIX:
        raise ImproperlyConfigured(f"Unknown permission {permission!r}: add it to the role matrix.")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            request.permission = permission
            if not kwargs:
                require(request, permission)
                return view(request, *args, **kwargs)
            request.access_checked = False
            response = view(request, *args, **kwargs)
            if not request.access_checked:
                raise ImproperlyConfigured(f"{view.__name__} must fetch its object with an access helper.")
            return response

        wrapper.permission = permission
        return wrapper

    return decorator


def require(request, permission: str) -> None:
    """403 unless the signed-in member's role allows this."""
    membership = getattr(request, "membership", None)
    if membership is None or not roles.allows(membership.role, permission):
        raise PermissionDenied(f"Your role may not do this ({permission}).")


def get_object_for_user(request, queryset, **lookup):
    """The record if it belongs to the member's clinic (else 404), and the role allows (else 403)."""
    obj = get_object_or_404(queryset.visible_to(request.user), **lookup)
    require(request, request.permission)
    request.access_checked = True
    return obj


def clinic_ids_for(user) -> list[int]:
    """The clinic a signed-in user is working in; with no request context, all of theirs."""
    membership = getattr(user, "active_membership", None)
    if membership is not None:
        return [membership.clinic_id]
    if not getattr(user, "is_authenticated", False):
        return []
    return list(user.memberships.active().values_list("clinic_id", flat=True))
