"""This app's staff URLs for the role-matrix walk: name -> (kwargs from the cast, method)."""

# Pages any signed-in user reaches whatever their role: they are about the user, not the clinic.
NOT_ROLE_GATED = {
    "clinics:signin",
    "clinics:signout",
    "clinics:2fa_setup",
    "clinics:2fa_verify",
    "clinics:switch_clinic",
    "clinics:change_password",
    "clinics:account",
}

URLS = {
    "clinics:team": (lambda cast: {}, "get"),
    "clinics:add_staff": (lambda cast: {}, "get"),
    "clinics:edit_member": (lambda cast: {"pk": cast["membership"].pk}, "get"),
    "clinics:reset_second_factor": (lambda cast: {"pk": cast["membership"].pk}, "post"),
    "clinics:sites": (lambda cast: {}, "get"),
    "clinics:add_site": (lambda cast: {}, "get"),
    "clinics:edit_site": (lambda cast: {"pk": cast["site"].pk}, "get"),
    "clinics:add_room": (lambda cast: {}, "get"),
    "clinics:edit_room": (lambda cast: {"pk": cast["room"].pk}, "get"),
}
