"""The links from integration sessions and journal entries to the dosing session they follow become
foreign keys (they were plain ids while the sessions app was being built). Each link is copied into
a new foreign key, the old column dropped, and the new one takes the old column's name."""

import django.db.models.deletion
from django.db import migrations, models


def copy_links(apps, schema_editor):
    for model, old, new in [
        ("TherapySession", "follows_dosing_id", "follows_dosing_new_id"),
        ("JournalEntry", "after_dosing_id", "after_dosing_new_id"),
    ]:
        Model = apps.get_model("integration", model)
        for pk, dosing_id in Model.objects.filter(**{f"{old}__isnull": False}).values_list("pk", old):
            Model.objects.filter(pk=pk).update(**{new: dosing_id})


def link(related_name, verbose_name, help_text):
    return models.ForeignKey(
        blank=True,
        null=True,
        help_text=help_text,
        on_delete=django.db.models.deletion.PROTECT,
        related_name=related_name,
        to="dosing.dosingsession",
        verbose_name=verbose_name,
    )


FOLLOWS = ("integration_sessions", "follows dosing session", "The dosing session this integration session follows.")
AFTER = ("journal_entries", "after dosing session", "The last dosing session when it was written.")


class Migration(migrations.Migration):
    dependencies = [("dosing", "0001_initial"), ("integration", "0001_initial")]

    operations = [
        migrations.AddField("therapysession", "follows_dosing_new", link("+", *FOLLOWS[1:])),
        migrations.AddField("journalentry", "after_dosing_new", link("+", *AFTER[1:])),
        migrations.RunPython(copy_links, migrations.RunPython.noop),
        migrations.RemoveConstraint("therapysession", "only_integration_follows_dosing"),
        migrations.RemoveField("therapysession", "follows_dosing_id"),
        migrations.RemoveField("journalentry", "after_dosing_id"),
        migrations.RenameField("therapysession", "follows_dosing_new", "follows_dosing"),
        migrations.RenameField("journalentry", "after_dosing_new", "after_dosing"),
        migrations.AlterField("therapysession", "follows_dosing", link(*FOLLOWS)),
        migrations.AlterField("journalentry", "after_dosing", link(*AFTER)),
        migrations.AddConstraint(
            "therapysession",
            models.CheckConstraint(
                condition=models.Q(("kind", "integration"), ("follows_dosing__isnull", True), _connector="OR"),
                name="only_integration_follows_dosing",
            ),
        ),
    ]
