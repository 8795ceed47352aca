"""Background work of the FHIR API: bulk exports run by the worker (`kapcare worker`)."""

from django.tasks import task
from django.utils import timezone

from kapcare.fhir import bulk
from kapcare.fhir.errors import FhirError
from kapcare.fhir.models import ExportJob, ExportStatus


@task
def run_export(job_id: str) -> None:
    started = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, progress="started"
    )
    if not started:
        return  # cancelled before it began
    job = ExportJob.objects.select_related("clinic").get(pk=job_id)
    try:
        bulk.run(job)
    except FhirError as error:
        fail(job, error.issues[0]["diagnostics"])
    except Exception as error:
        fail(job, f"The export stopped: {type(error).__name__}.")
        raise


def fail(job, message: str) -> None:
    ExportJob.objects.filter(pk=job.pk).exclude(status=ExportStatus.CANCELLED).update(
        status=ExportStatus.FAILED, error=message, finished_at=timezone.now()
    )
