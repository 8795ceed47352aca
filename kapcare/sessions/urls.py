from django.urls import path

from kapcare.sessions import views

app_name = "sessions"
urlpatterns = [
    path("", views.board_home, name="board_home"),
    path("board/<int:pk>/", views.board, name="board"),
    path("rems/", views.rems_queue, name="rems_queue"),
    path("sites/<int:pk>/log/", views.ledger, name="ledger"),
    path("patients/<int:pk>/panel/", views.panel, name="panel"),
    path("courses/<int:pk>/schedule/", views.schedule, name="schedule"),
    path("<int:pk>/", views.session_detail, name="detail"),
    path("<int:pk>/address/", views.home_address, name="home_address"),
    path("<int:pk>/check-in/", views.check_in, name="check_in"),
    path("<int:pk>/override/", views.override, name="override"),
    path("<int:pk>/abort/", views.abort, name="abort"),
    path("<int:pk>/order/", views.order, name="order"),
    path("<int:pk>/administer/", views.administer, name="administer"),
    path("<int:pk>/waste/", views.waste, name="waste"),
    path("<int:pk>/vitals/", views.add_vitals, name="vitals"),
    path("<int:pk>/ratings/", views.add_rating, name="rating"),
    path("<int:pk>/notes/", views.add_note, name="note"),
    path("<int:pk>/events/", views.add_event, name="event"),
    path("<int:pk>/ready/", views.ready, name="ready"),
    path("<int:pk>/discharge/", views.discharge, name="discharge"),
    path("<int:pk>/sign/", views.sign, name="sign"),
    path("<int:pk>/rems/", views.rems, name="rems"),
    path("<int:pk>/rems/submitted/", views.rems_submitted, name="rems_submitted"),
    path("<int:pk>/summary/", views.summary, name="summary"),
    path("<int:pk>/summary.pdf", views.summary_pdf, name="summary_pdf"),
    path("alerts/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path(
        "readings/<int:pk>/entered-in-error/",
        views.outside_reading_in_error,
        name="outside_reading_in_error",
    ),
]
