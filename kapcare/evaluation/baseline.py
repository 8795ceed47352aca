"""Baseline measures from the measures engine, as screening facts and as context for the evaluation."""

from django.apps import apps

PHQ9 = "phq-9"
ITEM_9 = "/44260-8"  # LOINC 44260-8: thoughts that you would be better off dead or of hurting yourself


def latest_phq9(patient):
    """The patient's latest scored PHQ-9 response, or None (also if no measures engine is installed)."""
    try:
        response_model = apps.get_model("measures", "Response")
    except LookupError:
        return None
    return (
        response_model.objects.filter(patient=patient, instrument__name=PHQ9)
        .only("item_scores", "total", "band_label", "completed_at", "patient_id")
        .order_by("-completed_at", "-pk")
        .first()
    )


def item9_of(response) -> int | None:
    if response is None or response.item_scores.get(ITEM_9) is None:
        return None
    return int(response.item_scores[ITEM_9])


def latest_phq9_item9(patient) -> int | None:
    """The answer to PHQ-9 item 9 (0-3) on the patient's latest PHQ-9, or None if they have none."""
    return item9_of(latest_phq9(patient))
