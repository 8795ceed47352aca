"""`kapcare demo`: load the demo clinic. Idempotent: running it again adds only what is missing.

Each app may have a `demo.py` with `load(demo)`; they run in INSTALLED_APPS order (the order of
the patient's journey), so an app's demo data can build on the apps before it.
"""

import importlib
import random
from dataclasses import dataclass, field

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from kapcare.clinics.models import Clinic

DEMO_SLUG = "demo"
DEMO_PASSWORD = "kapcare-demo-2026"


@dataclass
class Demo:
    """What the loaders share: the clinic, a seeded random source, and what earlier loaders made."""

    clinic: Clinic
    rng: random.Random
    password: str = DEMO_PASSWORD
    staff: dict = field(default_factory=dict)
    log: list = field(default_factory=list)

    def say(self, line: str) -> None:
        self.log.append(line)


class Command(BaseCommand):
    help = "Load the demo clinic (short name 'demo') with synthetic staff and patients."

    def handle(self, *args, **options):
        with transaction.atomic():
            clinic, created = Clinic.objects.get_or_create(
                slug=DEMO_SLUG,
                defaults={
                    "name": "Lumen KAP Clinic (demo)",
                    "time_zone": "America/New_York",
                    "phone": "+1 617 555 0140",
                    "email": "hello@lumen-kap.example",
                    "is_demo": True,
                },
            )
            demo = Demo(clinic=clinic, rng=random.Random(2026))
            for config in apps.get_app_configs():
                if config.name.startswith("kapcare."):
                    loader = _loader(config.name)
                    if loader is not None:
                        loader(demo)
        self.stdout.write(("Created" if created else "Checked") + f" the demo clinic '{clinic.name}'.")
        for line in demo.log:
            self.stdout.write("  " + line)
        self.stdout.write(sign_ins(demo))


def _loader(app_name: str):
    try:
        module = importlib.import_module(f"{app_name}.demo")
    except ModuleNotFoundError as error:
        if error.name == f"{app_name}.demo":
            return None
        raise
    return module.load


def sign_ins(demo: Demo) -> str:
    rows = [f"  {role:<11} {user.email}" for role, user in demo.staff.items()]
    return "\n".join(["", "Demo sign-ins (password for all: " + demo.password + "):", *rows, ""])
