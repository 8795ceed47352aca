"""A treatment plan names its medication: racemic ketamine (every plan signed so far) or esketamine
(Spravato), which records no racemic IV-equivalent. On SQLite, changing the table rebuilds it and
drops its trigger that refuses UPDATE (0002); it is put back here."""

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
        ('evaluation', '0004_plan_measures_schedules_the_engine_keeps'),
    ]

    operations = [
        migrations.AddField(
            model_name='treatmentplan',
            name='medication',
            field=models.CharField(choices=[('ketamine', 'Ketamine (racemic)'), ('esketamine', 'Esketamine (Spravato)')], default='ketamine', max_length=12),
        ),
        migrations.AlterField(
            model_name='treatmentplan',
            name='bioavailability',
            field=models.DecimalField(blank=True, decimal_places=3, max_digits=4, null=True),
        ),
        migrations.AlterField(
            model_name='treatmentplan',
            name='iv_equivalent_mg',
            field=models.DecimalField(blank=True, decimal_places=1, max_digits=7, null=True),
        ),
        migrations.AlterField(
            model_name='treatmentplan',
            name='iv_equivalent_mg_per_kg',
            field=models.DecimalField(blank=True, decimal_places=3, max_digits=6, null=True),
        ),
        migrations.AddConstraint(
            model_name='treatmentplan',
            constraint=models.CheckConstraint(condition=models.Q(('medication__in', ['ketamine', 'esketamine'])), name='plan_medication_valid'),
        ),
        migrations.AddConstraint(
            model_name='treatmentplan',
            constraint=models.CheckConstraint(condition=models.Q(('medication', 'ketamine'), models.Q(('at_home_allowed', False), ('dose_unit', 'mg'), ('route', 'intranasal')), _connector='OR'), name='plan_esketamine_by_its_label'),
        ),
        migrations.AddConstraint(
            model_name='treatmentplan',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('bioavailability__isnull', False), ('iv_equivalent_mg__isnull', False), ('iv_equivalent_mg_per_kg__isnull', False), ('medication', 'ketamine')), models.Q(('bioavailability__isnull', True), ('iv_equivalent_mg__isnull', True), ('iv_equivalent_mg_per_kg__isnull', True), ('medication', 'esketamine')), _connector='OR'), name='plan_iv_equivalent_for_racemic_ketamine_only'),
        ),
        migrations.RunPython(keep_signed_plans_frozen, migrations.RunPython.noop),
    ]
