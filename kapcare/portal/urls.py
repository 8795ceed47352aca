from django.urls import path

from kapcare.portal import views

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
