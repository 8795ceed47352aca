from django.urls import path

from kapcare.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("courses/<int:pk>/", views.evaluation, name="evaluation"),
    path("courses/<int:pk>/screen/", views.screen, name="screen"),
    path("courses/<int:pk>/reevaluate/", views.reevaluate, name="reevaluate"),
    path("courses/<int:pk>/confirm-history/", views.confirm_history, name="confirm_history"),
    path("courses/<int:pk>/decision/", views.decide, name="decide"),
    path("courses/<int:pk>/plan/", views.plan, name="plan"),
    path("courses/<int:pk>/start/", views.start, name="start"),
    path("decisions/<int:pk>/addendum/", views.decision_addendum, name="decision_addendum"),
    path("plans/<int:pk>/addendum/", views.plan_addendum, name="plan_addendum"),
    path("patients/<int:pk>/panel/", views.panel, name="panel"),
    path(
        "outside-conditions/<int:pk>/entered-in-error/",
        views.outside_condition_in_error,
        name="outside_condition_in_error",
    ),
    path(
        "outside-medications/<int:pk>/entered-in-error/",
        views.outside_medication_in_error,
        name="outside_medication_in_error",
    ),
    path("icd-10-cm/", views.icd_search, name="icd_search"),
    path("protocol/", views.protocol, name="protocol"),
    path("protocol/new/", views.protocol_edit, name="protocol_edit"),
]
