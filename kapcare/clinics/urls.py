from django.urls import path

from kapcare.clinics import views

app_name = "clinics"
urlpatterns = [
    path("signin/", views.signin, name="signin"),
    path("signout/", views.signout, name="signout"),
    path("two-factor/setup/", views.second_factor_setup, name="2fa_setup"),
    path("two-factor/verify/", views.second_factor_verify, name="2fa_verify"),
    path("clinic/switch/", views.switch_clinic, name="switch_clinic"),
    path("account/", views.account, name="account"),
    path("account/password/", views.change_password, name="change_password"),
    path("team/", views.team, name="team"),
    path("team/add/", views.add_staff, name="add_staff"),
    path("team/<int:pk>/", views.edit_member, name="edit_member"),
    path("team/<int:pk>/reset-two-factor/", views.reset_second_factor, name="reset_second_factor"),
    path("sites/", views.sites, name="sites"),
    path("sites/add/", views.add_site, name="add_site"),
    path("sites/<int:pk>/", views.edit_site, name="edit_site"),
    path("rooms/add/", views.add_room, name="add_room"),
    path("rooms/<int:pk>/", views.edit_room, name="edit_room"),
]
