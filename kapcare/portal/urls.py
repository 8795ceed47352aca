from django.urls import path
from django.utils.module_loading import import_string

from kapcare.patients.portal_access import portal_view
from kapcare.portal import views
from kapcare.portal.panels import served_panels

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.signin, name="signin"),
    path("sign-in/<str:token>/", views.link, name="link"),
    path("sign-out/", views.signout, name="signout"),
    path("documents/<str:kind>/", views.consent, name="consent"),
    path("documents/<str:kind>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("documents/signed/<int:pk>.pdf", views.consent_pdf, name="consent_pdf"),
    path("preparation/", views.preparation, name="preparation"),
]
# Other apps' sections that the portal serves and guards for them (see panels.py).
urlpatterns += [
    path(route, portal_view(import_string(view)), name=name) for route, view, name in served_panels()
]
