"""`kapcare simulate-monitor`: stream synthetic vital signs into a clinic's sessions in progress.

Each round posts one batch Bundle of FHIR Observations (blood pressure, heart rate, SpO2 and
respiratory rate per dosed session) through the same `ingest_observations` a real monitor reaches,
so alerts, the board and the audit trail behave as they would. Now and then a reading spikes.
A session at home is fed by the patient's own blood-pressure cuff, as the at-home kits carry
(reference/clinical.md §2), so it gets blood pressure and pulse only.
For the demo clinic only, unless --clinic names another that is marked as demo data.
"""

import random
import time
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kapcare.clinics.models import Clinic
from kapcare.sessions.demo import bp_curve
from kapcare.sessions.devices import ingest_observations
from kapcare.sessions.models import DosingSession
from kapcare.sessions.models.session import POST_DOSE_STATES

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
# Synthetic spike: a reading beyond the default single-reading limits, so the board shows an alert.
SPIKE = (206, 114)


def quantity(value, code):
    return {"value": value, "unit": code, "system": UCUM, "code": code}


def observation(session, code, at, tag, **value):
    return {
        "resourceType": "Observation",
        "status": "final",
        "identifier": [
            {
                "system": "urn:kapcare:simulated-monitor",
                "value": f"{session.pk}-{tag}-{uuid.uuid4().hex[:12]}",
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{session.patient_id}"},
        "effectiveDateTime": at.isoformat(),
        "device": {"display": device_name(session)},
        **value,
    }


def device_name(session) -> str:
    if session.at_home:
        return "Simulated home blood-pressure cuff"
    return f"Simulated monitor, {session.room.name if session.room else 'no room'}"


def readings(session, at, spike: bool, rng) -> list[dict]:
    minute = session.minutes_since_dose(at) or 0
    seeded = random.Random(session.pk)
    baseline = (seeded.randint(114, 132), seeded.randint(70, 82))
    systolic, diastolic = SPIKE if spike else bp_curve(baseline, minute, seeded.randint(12, 26))
    systolic, diastolic = systolic + rng.randint(-3, 3), diastolic + rng.randint(-2, 2)
    bp = observation(
        session,
        "85354-9",
        at,
        "bp",
        component=[
            {
                "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                "valueQuantity": quantity(systolic, "mm[Hg]"),
            },
            {
                "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                "valueQuantity": quantity(diastolic, "mm[Hg]"),
            },
        ],
    )
    pulse = observation(session, "8867-4", at, "hr", valueQuantity=quantity(74 + rng.randint(-4, 8), "/min"))
    if session.at_home:
        return [bp, pulse]
    return [
        bp,
        pulse,
        observation(
            session, "59408-5", at, "spo2", valueQuantity=quantity(rng.choice([96, 97, 98, 99]), "%")
        ),
        observation(session, "9279-1", at, "rr", valueQuantity=quantity(rng.choice([12, 14, 16]), "/min")),
    ]


class Command(BaseCommand):
    help = (
        "Stream synthetic vital signs into the demo clinic's sessions in progress, with an occasional spike."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", default="demo", help="Short name of a demo clinic (default: demo).")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between rounds (default 5).")
        parser.add_argument(
            "--rounds", type=int, default=0, help="Stop after this many rounds (default: run on)."
        )
        parser.add_argument(
            "--spike-chance",
            type=float,
            default=0.05,
            help="Chance that a session's reading spikes in a round (default 0.05).",
        )
        parser.add_argument(
            "--spike-now", action="store_true", help="Make the first round's first reading spike."
        )
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, **options):
        clinic = Clinic.objects.filter(slug=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"No clinic {options['clinic']!r}; run `kapcare demo` first.")
        if not clinic.is_demo:
            raise CommandError(
                "simulate-monitor writes synthetic readings, so only into a clinic marked as demo data."
            )
        rng = random.Random(options["seed"])
        rounds, spike_now = 0, options["spike_now"]
        while True:
            sessions = list(
                DosingSession.objects.filter(clinic=clinic, state__in=POST_DOSE_STATES)
                .select_related("room")
                .order_by("pk")
            )
            now = timezone.now()
            entries = []
            for n, session in enumerate(sessions):
                spike = (spike_now and n == 0) or rng.random() < options["spike_chance"]
                entries += [{"resource": r} for r in readings(session, now, spike, rng)]
            spike_now = False
            if entries:
                result = ingest_observations(
                    clinic,
                    {"resourceType": "Bundle", "type": "batch", "entry": entries},
                    actor="kapcare simulate-monitor",
                )
                self.stdout.write(
                    f"{now:%H:%M:%S} {len(sessions)} sessions: {result.created} readings stored, "
                    f"{result.refused} refused, {result.alerts} alerts"
                )
            else:
                self.stdout.write(f"{now:%H:%M:%S} no dosed session in progress at {clinic.name}")
            rounds += 1
            if options["rounds"] and rounds >= options["rounds"]:
                return
            time.sleep(options["interval"])
