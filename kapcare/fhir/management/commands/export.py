"""`kapcare export`: a bulk data export from the command line, written as NDJSON files."""

import json
import shutil
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kapcare.clinics.models import Clinic
from kapcare.fhir import bulk
from kapcare.fhir.errors import FhirError
from kapcare.fhir.models import ExportJob, ExportStatus


class Command(BaseCommand):
    help = (
        "Export a clinic's FHIR resources as NDJSON: kapcare export --clinic demo --out DIR [--type Patient]."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", required=True, help="The clinic's short name.")
        parser.add_argument("--out", required=True, help="Folder to write Type.ndjson files into.")
        parser.add_argument("--type", default="", help="Resource types, separated by commas (default: all).")
        parser.add_argument(
            "--since", help="Only resources changed after this instant (2026-01-01T00:00:00Z)."
        )
        level = parser.add_mutually_exclusive_group()
        level.add_argument("--patients", action="store_true", help="Patient-level: resources about patients.")
        level.add_argument("--group", help="Group-level: the patients of this Group (site) id.")

    def handle(self, *args, clinic, out, type, since, patients, group, **options):
        found = Clinic.objects.filter(slug=clinic).first()
        if found is None:
            raise CommandError(f"No clinic with short name {clinic!r}.")
        level = "group" if group else "patient" if patients else "system"
        try:
            types = bulk.export_types(level, [t.strip() for t in type.split(",") if t.strip()])
            moment = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
        except FhirError as error:
            raise CommandError(error.issues[0]["diagnostics"]) from None
        except ValueError:
            raise CommandError(f"--since {since!r} is not an instant such as 2026-01-01T00:00:00Z.") from None
        if moment is not None and moment.tzinfo is None:
            raise CommandError("--since needs a time zone, for example 2026-01-01T00:00:00Z.")
        job = ExportJob.objects.create(
            clinic=found,
            level=level,
            group_id=group or "",
            types=types,
            since=moment,
            request_url=f"kapcare export --clinic {clinic}",
            status=ExportStatus.RUNNING,
        )
        try:
            bulk.run(job)
        except FhirError as error:
            raise CommandError(error.issues[0]["diagnostics"]) from None
        job.refresh_from_db()
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        for item in job.output:
            shutil.move(bulk.job_folder(job) / item["file"], folder / item["file"])
        shutil.rmtree(bulk.job_folder(job), ignore_errors=True)
        manifest = {
            "transactionTime": job.requested_at.isoformat(),
            "output": [
                {"type": item["type"], "url": str((folder / item["file"]).resolve()), "count": item["count"]}
                for item in job.output
            ],
        }
        self.stdout.write(json.dumps(manifest, indent=2))
