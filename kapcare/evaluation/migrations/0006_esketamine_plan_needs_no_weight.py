"""An esketamine plan needs no weight: its dose is not by weight. On SQLite, changing the table
rebuilds it and drops its trigger that refuses UPDATE (0002); it is put back here, as in 0005."""

from django.conf import settings
from django.db import migrations, models

TRIGGER = "evaluation_treatmentplan_frozen"
MESSAGE = "signed records cannot be changed; add an addendum"


def keep_signed_plans_frozen(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE TRIGGER IF NOT EXISTS {TRIGGER} BEFORE UPDATE ON evaluation_treatmentplan "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('clinics', '0004_user_alert_phone'),
        ('evaluation', '0005_plan_names_its_medication'),
        ('patients', '0004_preparation_protocol_version'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='treatmentplan',
            name='weight_kg',
            field=models.DecimalField(blank=True, decimal_places=1, max_digits=5, null=True, verbose_name="today's weight (kg)"),
        ),
        migrations.AddConstraint(
            model_name='treatmentplan',
            constraint=models.CheckConstraint(condition=models.Q(('medication', 'esketamine'), ('weight_kg__isnull', False), _connector='OR'), name='plan_racemic_ketamine_has_weight'),
        ),
        migrations.RunPython(keep_signed_plans_frozen, migrations.RunPython.noop),
    ]
