from django.apps import apps
from django.db import connection
from django.db.models.signals import post_init, pre_init

from kapcare.lib.sql import records
from kapcare.patients.models import Patient


def test_records_are_the_instances_the_orm_would_make(patient):
    fields = Patient._meta.concrete_fields
    with connection.cursor() as cursor:
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        cursor.execute(f"SELECT {columns} FROM {Patient._meta.db_table} WHERE id = %s", [patient.pk])
        (made,) = records(Patient, fields, cursor.fetchall())
    orm = Patient.objects.get(pk=patient.pk)
    assert [getattr(made, f.attname) for f in fields] == [getattr(orm, f.attname) for f in fields]
    assert (made._state.adding, made._state.db) == (False, "default")
    assert made.clinic == patient.clinic  # a foreign key is followed as on any instance
    made.preferred_name = "Sam"
    made.save(update_fields=["preferred_name"])  # an update of the row, not a second row
    assert Patient.objects.get(pk=patient.pk).preferred_name == "Sam"
    assert Patient.objects.count() == 1


def test_no_kapcare_model_listens_to_init_signals_which_records_does_not_send():
    listened = [
        model.__name__
        for model in apps.get_models()
        if model.__module__.startswith("kapcare.")
        and (pre_init.has_listeners(model) or post_init.has_listeners(model))
    ]
    assert listened == []
