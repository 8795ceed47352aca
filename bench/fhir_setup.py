"""Set up the FHIR benchmark's clinic: patients, each with a dosing session in monitoring, so
that Observations posted for them are kept as readings (run by fhir_bench.py in its own process).

Prints the patients' ids, one line, separated by spaces.
"""

import os
import sys
from datetime import timedelta
from decimal import Decimal


def main(slug: str, count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapcare.settings")
    import django

    django.setup()
    from django.utils import timezone

    from kapcare.clinics.models import Clinic, Protocol, Site
    from kapcare.patients.models import Course, Patient
    from kapcare.sessions.models import DosingSession, State

    clinic = Clinic.objects.get(slug=slug)
    site = Site.objects.create(clinic=clinic, name="Bench site")
    protocol = Protocol.active_for(clinic)
    now = timezone.now()
    ids = []
    for n in range(count):
        patient = Patient.objects.create(
            clinic=clinic,
            legal_first_name=f"Bench{n}",
            legal_last_name="Monitored",
            date_of_birth="1980-01-01",
            sex_at_birth="unknown",
        )
        course = Course.objects.create(
            clinic=clinic, patient=patient, site=site, condition="trd", state="active"
        )
        DosingSession.objects.create(
            clinic=clinic,
            patient=patient,
            course=course,
            site=site,
            route="iv",
            planned_start=now - timedelta(hours=1),
            planned_mg_per_kg=Decimal("0.5"),
            protocol=protocol,
            state=State.MONITORING,
            dosed_at=now - timedelta(minutes=50),
            weight_kg=Decimal("70.0"),
        )
        ids.append(str(patient.pk))
    print(" ".join(ids))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
