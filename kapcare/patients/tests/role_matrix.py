"""This app's staff URLs for the role-matrix walk: name -> (kwargs from the cast, method)."""

URLS = {
    "patients:dashboard": (lambda cast: {}, "get"),
    "patients:list": (lambda cast: {}, "get"),
    "patients:new": (lambda cast: {}, "get"),
    "patients:chart": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "patients:edit": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "patients:course_new": (lambda cast: {"pk": cast["patient"].pk}, "get"),
    "patients:course_transition": (lambda cast: {"pk": cast["course"].pk}, "post"),
}
