"""The chart's outcome-measures panel for a patient with 500 responses: p95 server time against the
50 ms budget, and against baselines measured in the same run, since absolute times drift on
shared machines: one raw SQL read of the same 500 results, and the same panel for a patient with
no results (its fixed cost: sign-in checks, session and audit writes).

Server time is the whole Django request (middleware, access check, audit write, queries,
template) through the test client, on a throw-away SQLite database (DATABASE_URL to use another).
"""

import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere, like the other benchmarks

BUDGET_MS = 50
RESPONSES = 500
ROUNDS = 200


def setup(var: str):
    os.environ.update(
        KAPCARE_VAR_DIR=var,
        DJANGO_SETTINGS_MODULE="kapcare.settings",
        KAPCARE_ALLOWED_HOSTS="testserver",
        KAPCARE_TASKS_BACKEND="django.tasks.backends.immediate.ImmediateBackend",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_patient():
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from kapcare.clinics.models import Clinic, Membership, User
    from kapcare.measures.models import Response, install_shipped
    from kapcare.measures.scoring import score
    from kapcare.patients.models import Course, Patient

    clinic = Clinic.objects.create(slug="bench", name="Bench KAP")
    user = User.objects.create_user(
        "prescriber@bench.example", "bench-password-2026", full_name="Bench Prescriber"
    )
    Membership.objects.create(user=user, clinic=clinic, role="prescriber")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    patient = Patient.objects.create(
        clinic=clinic,
        legal_first_name="Bench",
        legal_last_name="Patient",
        date_of_birth=date(1980, 1, 1),
        sex_at_birth="female",
    )
    course = Course.objects.create(
        clinic=clinic, patient=patient, condition="trd", prescriber=user, opened_by=user
    )
    instruments = {i.name: i for i in install_shipped(clinic)}
    start = timezone.now() - timedelta(days=RESPONSES)
    rows = []
    for n in range(RESPONSES):
        name = "phq-9" if n % 2 == 0 else "gad-7"
        instrument = instruments[name]
        definition = instrument.definition()
        answers = {
            item.answer_key: item.options[(n // 7 + i) % 3].key for i, item in enumerate(definition.items)
        }
        result = score(definition, answers)
        rows.append(
            Response(
                clinic=clinic,
                patient=patient,
                course=course,
                instrument=instrument,
                answers=answers,
                item_scores={k: int(v) for k, v in result.item_scores.items()},
                total=result.total,
                band_code=result.band.code,
                band_label=result.band.label,
                definition_version=instrument.version,
                entered_via="link",
                completed_at=start + timedelta(days=n),
            )
        )
    Response.objects.bulk_create(rows)
    return user, patient


def empty_patient(patient):
    """A second patient of the same clinic with no history: the panel's fixed cost."""
    from kapcare.patients.models import Patient

    return Patient.objects.create(
        clinic=patient.clinic,
        legal_first_name="Empty",
        legal_last_name="History",
        date_of_birth=patient.date_of_birth,
        sex_at_birth="male",
    )


def signed_in_client(user):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def timings(work, rounds: int) -> list[float]:
    for _ in range(10):  # warm caches: templates, compiled definitions, connections
        work()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def main() -> int:
    with tempfile.TemporaryDirectory() as var:
        setup(var)
        from django.db import connection
        from django.urls import reverse

        user, patient = make_patient()
        client = signed_in_client(user)
        url = reverse("measures:panel", args=[patient.pk])
        page = client.get(url, headers={"HX-Request": "true"})
        assert (
            page.status_code == 200
            and b"All 250 Patient Health Questionnaire-9 (PHQ-9) results" in page.content
        ), page.status_code

        def panel():
            client.get(url, headers={"HX-Request": "true"})

        def raw_sql():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT instrument_id, total, band_label, completed_at FROM measures_response "
                    "WHERE patient_id = %s ORDER BY completed_at",
                    [patient.pk],
                )
                cursor.fetchall()

        empty_url = reverse("measures:panel", args=[empty_patient(patient).pk])

        def empty_panel():
            client.get(empty_url, headers={"HX-Request": "true"})

        baseline = p95(timings(raw_sql, ROUNDS))
        empty_p95 = p95(timings(empty_panel, ROUNDS))
        panel_times = timings(panel, ROUNDS)
        panel_p95 = p95(panel_times)
    print(f"measures panel, one patient with {RESPONSES} responses (PHQ-9 and GAD-7), {ROUNDS} requests")
    print(f"{'work':<34}{'p95 ms':>10}{'vs raw SQL':>12}")
    print(f"{'raw SQL read of the 500 (baseline)':<34}{baseline:>10.2f}{1:>12.1f}")
    print(f"{'panel request, no responses':<34}{empty_p95:>10.2f}{empty_p95 / baseline:>12.1f}")
    print(
        f"{f'panel request (median {statistics.median(panel_times):.1f} ms)':<34}"
        f"{panel_p95:>10.2f}{panel_p95 / baseline:>12.1f}"
    )
    print(f"500 responses add {panel_p95 - empty_p95:.1f} ms p95 to the panel")
    verdict = "meets" if panel_p95 < BUDGET_MS else "MISSES"
    print(f"{verdict} the {BUDGET_MS} ms p95 budget")
    return 0 if panel_p95 < BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
