from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    # Until now the last change kept was its completion, else its booking.
    TherapySession = apps.get_model("integration", "TherapySession")
    TherapySession.objects.update(updated_at=Coalesce(F("completed_at"), F("created_at")))


class Migration(migrations.Migration):
    dependencies = [
        ("integration", "0002_dosing_links_are_foreign_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="therapysession",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True, default=None, help_text="When it was booked or last changed.", null=True
            ),
            preserve_default=False,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="therapysession",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, help_text="When it was booked or last changed."),
        ),
    ]
