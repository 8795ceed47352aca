"""An evaluation becomes the frozen evidence of the first eligibility decision signed on it; what
changes later goes into a re-evaluation, so a course may now have several evaluations."""

import django.db.models.deletion
from django.db import migrations, models


def freeze_decided(apps, schema_editor):
    Evaluation = apps.get_model("evaluation", "Evaluation")
    EligibilityDecision = apps.get_model("evaluation", "EligibilityDecision")
    first = {}
    for course_id, signed_at in EligibilityDecision.objects.order_by("signed_at").values_list(
        "course_id", "signed_at"
    ):
        first.setdefault(course_id, signed_at)
    for evaluation in Evaluation.objects.filter(course_id__in=list(first)):
        Evaluation.objects.filter(pk=evaluation.pk).update(decided_at=first[evaluation.course_id])


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0002_signed_records_refuse_change"), ("patients", "0001_initial")]

    operations = [
        migrations.AlterModelOptions(name="evaluation", options={"ordering": ["-created_at", "-pk"]}),
        migrations.AlterField(
            model_name="evaluation",
            name="course",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="evaluations", to="patients.course"
            ),
        ),
        migrations.AddField(
            model_name="evaluation",
            name="decided_at",
            field=models.DateTimeField(
                blank=True, editable=False, help_text="When a signed decision froze it.", null=True
            ),
        ),
        migrations.AddField(
            model_name="evaluation",
            name="previous",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="evaluation.evaluation",
                verbose_name="re-evaluation of",
            ),
        ),
        migrations.RunPython(freeze_decided, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="evaluation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("decided_at__isnull", True)), fields=("course",), name="one_open_evaluation"
            ),
        ),
    ]
