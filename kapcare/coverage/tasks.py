"""Background work: re-check eligibility when a coverage is created or edited."""

from functools import partial

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from kapcare.clinics.models import User
from kapcare.coverage.eligibility import CheckFailed, check_coverage
from kapcare.coverage.models import Coverage


@task
def recheck_coverage(coverage_id: int, user_id: int | None = None) -> str:
    """Run a check for the coverage as it now stands; the result lands in its history."""
    coverage = (
        Coverage.objects.select_related("clinic", "payer__carve_out", "patient")
        .filter(pk=coverage_id, is_active=True)
        .first()
    )
    if coverage is None:
        return "coverage no longer current"
    user = User.objects.filter(pk=user_id).first() if user_id else None
    try:
        return check_coverage(coverage, by=user, automatic=True).status
    except CheckFailed as failure:
        # Nobody is watching a background check: keep why it failed for the chart to show.
        Coverage.objects.filter(pk=coverage.pk).update(
            failed_check_at=timezone.now(), failed_check_reason=failure.message
        )
        return failure.message


def recheck_after_commit(coverage: Coverage, user) -> None:
    """Queue the check once the change is saved, so the worker reads what was committed."""
    transaction.on_commit(partial(recheck_coverage.enqueue, coverage.pk, getattr(user, "pk", None)))
