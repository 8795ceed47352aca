"""Staff pages under /staff/integration/ and the patient's journal and goals under /portal/."""

from django.urls import path

from kapcare.integration import portal_views, views

app_name = "integration"
urlpatterns = [
    path("staff/integration/", views.queue, name="queue"),
    path("staff/integration/settings/", views.settings_page, name="settings"),
    path("staff/integration/patients/<int:pk>/", views.panel, name="panel"),
    path("staff/integration/patients/<int:pk>/book/", views.schedule, name="schedule"),
    path("staff/integration/patients/<int:pk>/goals/", views.goals, name="goals"),
    path("staff/integration/sessions/<int:pk>/", views.session, name="session"),
    path("staff/integration/sessions/<int:pk>/note/", views.note, name="note"),
    path("staff/integration/sessions/<int:pk>/amend/", views.amend, name="amend"),
    path("staff/integration/sessions/<int:pk>/status/", views.session_status, name="session_status"),
    path(
        "staff/integration/sessions/<int:pk>/psychotherapy-note/", views.psychotherapy, name="psychotherapy"
    ),
    path(
        "staff/integration/sessions/<int:pk>/psychotherapy-note/release/",
        views.psychotherapy_release,
        name="psychotherapy_release",
    ),
    path("portal/journal/", portal_views.journal, name="journal"),
    path("portal/journal/<int:pk>/", portal_views.journal_entry, name="journal_entry"),
    path("portal/journal/<int:pk>/share/", portal_views.journal_share, name="journal_share"),
    path("portal/goals/", portal_views.portal_panel, name="portal_panel"),
]
