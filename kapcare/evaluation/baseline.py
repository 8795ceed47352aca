"""Baseline measures from the measures engine, as screening facts."""

from django.apps import apps

PHQ9 = "phq-9"
ITEM_9 = "/44260-8"  # LOINC 44260-8: thoughts that you would be better off dead or of hurting yourself


def latest_phq9_item9(patient) -> int | None:
    """The patient's answer to PHQ-9 item 9 (0-3) on their latest PHQ-9, or None if they have none."""
    try:
        response_model = apps.get_model("measures", "Response")
    except LookupError:
        return None
    latest = (
        response_model.objects.filter(patient=patient, instrument__name=PHQ9)
        .order_by("-completed_at", "-pk")
        .values_list("item_scores", flat=True)
        .first()
    )
    if not latest or latest.get(ITEM_9) is None:
        return None
    return int(latest[ITEM_9])
