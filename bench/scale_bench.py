"""The benchmark dataset of design.md, on PostgreSQL: a clinic network of 50 sites, 100,000
patients, 1,000,000 questionnaire responses and 5,000,000 vital signs, and on it the p95 server
time of the chart (the page and each panel it loads), the live board of a site with 50 sessions
under monitoring, and FHIR reads, against the 50 ms budget; and batch vital-sign ingestion against
2,000 readings per second.

Server time is the whole Django request (middleware, access checks, audit writes, queries,
templates) through the test client. Baselines measured in the same run, since absolute times drift
on shared machines: GET /healthz (the fixed cost of a request) and one indexed raw SQL read of a
patient row.

The dataset is built once (several minutes) into a PostgreSQL server of the bench's own under
var/bench-pg/ (or, when DATABASE_URL names a PostgreSQL server, its own database `kapcare_scale` on
that server), and reused
while its size and version match. KAPCARE_BENCH_SCALE (default 1) scales the patients, responses
and readings, for a quicker look.
"""

import os
import random
import re
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lib import create_database, p95, postgres, setup_django, signed_in_client, timed  # noqa: E402

DATASET_VERSION = 1
SCALE = float(os.environ.get("KAPCARE_BENCH_SCALE", "1"))
SITES = 50
PATIENTS = int(100_000 * SCALE)
RESPONSES_PER_PATIENT = 10  # 1,000,000 at full scale
VITALS = int(5_000_000 * SCALE)
READINGS_PER_SESSION = 20
BOARD_SESSIONS = 50
BUDGET_MS = 50
INGEST_BUDGET = 2_000
ROUNDS = int(os.environ.get("KAPCARE_BENCH_ROUNDS", 100))
BATCH = 10_000
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

FIRST = [
    "Avery",
    "Blake",
    "Casey",
    "Devon",
    "Emery",
    "Finley",
    "Harper",
    "Jordan",
    "Kai",
    "Logan",
    "Morgan",
    "Noor",
    "Parker",
    "Quinn",
    "Reese",
    "Rowan",
    "Sage",
    "Skyler",
    "Tatum",
    "Wren",
]
LAST = [
    "Abbott",
    "Baptiste",
    "Cardenas",
    "Delacroix",
    "Esposito",
    "Fontaine",
    "Gutierrez",
    "Holloway",
    "Ibarra",
    "Jablonski",
    "Kowalczyk",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
]


def say(text: str) -> None:
    print(text, flush=True)


# The dataset.


def dataset_found(url: str):
    """(version, scale) of the dataset already in the database, or None."""
    import psycopg

    try:
        with psycopg.connect(url) as connection:
            return connection.execute("SELECT version, scale FROM bench_dataset").fetchone()
    except psycopg.Error:
        return None


def build_dataset() -> None:
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    say(
        f"building the dataset (scale {SCALE}): {SITES} sites, {PATIENTS:,} patients, "
        f"{PATIENTS * RESPONSES_PER_PATIENT:,} responses, {VITALS:,} vital signs"
    )
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - the demo clinic is the base
    clinic, staff, sites = base()
    patients = add_patients(clinic, sites, staff)
    add_responses(clinic, patients)
    add_sessions(clinic, sites, patients)
    add_board(clinic, sites[0])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("CREATE TABLE bench_dataset (version int, scale float)")
        cursor.execute("INSERT INTO bench_dataset VALUES (%s, %s)", [DATASET_VERSION, SCALE])
    say(f"built in {time.perf_counter() - started:.0f} s")


def base():
    from kapcare.clinics.models import Clinic, Membership, Room, Site

    clinic = Clinic.objects.get(slug="demo")
    staff = {m.role: m.user for m in Membership.objects.filter(clinic=clinic).select_related("user")}
    sites = list(Site.objects.filter(clinic=clinic).order_by("pk"))
    for n in range(len(sites), SITES):
        site = Site.objects.create(clinic=clinic, name=f"Bench site {n + 1}", time_zone=clinic.time_zone)
        Room.objects.bulk_create(Room(site=site, name=f"Room {k + 1}") for k in range(4))
        sites.append(site)
    return clinic, staff, sites


def batched(rows, model):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            model.objects.bulk_create(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)


def add_patients(clinic, sites, staff) -> list[tuple[int, int, int]]:
    """Patients, each with a course; returns (patient, course, site) ids."""
    from kapcare.patients.models import Course, Patient

    rng = random.Random(1)
    start = Patient.objects.filter(clinic=clinic).count()
    batched(
        (
            Patient(
                clinic=clinic,
                mrn=f"S{n:07d}",
                legal_first_name=FIRST[n % len(FIRST)],
                legal_last_name=f"{LAST[(n // len(FIRST)) % len(LAST)]}{n}",
                date_of_birth=date(1950, 1, 1) + timedelta(days=rng.randrange(0, 20_000)),
                sex_at_birth=rng.choice(["female", "male"]),
                phone=f"+1617555{n % 10_000:04d}",
            )
            for n in range(PATIENTS)
        ),
        Patient,
    )
    patients = list(Patient.objects.filter(clinic=clinic, mrn__startswith="S").values_list("pk", flat=True))
    say(f"  {len(patients):,} patients, besides the demo clinic's {start}")
    batched(
        (
            Course(
                clinic=clinic,
                patient_id=pk,
                site=sites[n % len(sites)],
                condition=rng.choice(["depression", "trd", "ptsd", "ocd", "anxiety", "sud"]),
                state="completed" if n % 10 else "active",
                prescriber=staff["prescriber"],
                therapist=staff["therapist"],
            )
            for n, pk in enumerate(patients)
        ),
        Course,
    )
    courses = dict(Course.objects.filter(patient_id__in=patients).values_list("patient_id", "pk"))
    return [(pk, courses[pk], sites[n % len(sites)].pk) for n, pk in enumerate(patients)]


def scored_templates(instrument, count: int) -> list[dict]:
    """Answer sets scored by the real engine, to copy into many responses."""
    from kapcare.measures.scoring import score

    definition = instrument.definition()
    templates = []
    for n in range(count):
        answers = {
            item.answer_key: item.options[(n + i * 7) % len(item.options)].key
            for i, item in enumerate(definition.items)
        }
        result = score(definition, answers)
        templates.append(
            {
                "answers": answers,
                "item_scores": {k: int(v) for k, v in result.item_scores.items()},
                "total": result.total,
                "band_code": result.band.code if result.band else "",
                "band_label": result.band.label if result.band else "",
            }
        )
    return templates


def add_responses(clinic, patients) -> None:
    from django.utils import timezone

    from kapcare.measures.models import Instrument, Response

    instruments = [Instrument.objects.get(clinic=clinic, name=name) for name in ("phq-9", "gad-7")]
    templates = {i.pk: scored_templates(i, 40) for i in instruments}
    rng = random.Random(2)
    now = timezone.now()
    batched(
        (
            Response(
                clinic=clinic,
                patient_id=patient,
                course_id=course,
                instrument=instrument,
                definition_version=instrument.version,
                entered_via="link",
                completed_at=now - timedelta(days=7 * (RESPONSES_PER_PATIENT - k)),
                **rng.choice(templates[instrument.pk]),
            )
            for patient, course, _ in patients
            for k in range(RESPONSES_PER_PATIENT)
            for instrument in (instruments[k % 2],)
        ),
        Response,
    )
    say(f"  {Response.objects.filter(clinic=clinic).count():,} responses")


def add_sessions(clinic, sites, patients) -> None:
    """Signed dosing sessions spread over the patients, READINGS_PER_SESSION readings each."""
    from django.utils import timezone

    from kapcare.clinics.models import Protocol
    from kapcare.sessions.models import DosingSession, VitalSign

    protocol = Protocol.active_for(clinic)
    rng = random.Random(3)
    now = timezone.now()
    count = VITALS // READINGS_PER_SESSION
    chosen = [patients[n % len(patients)] for n in range(count)]

    def session(n, patient, course, site):
        dosed = now - timedelta(days=1 + n % 700, minutes=n % 600)
        return DosingSession(
            clinic=clinic, patient_id=patient, course_id=course, site_id=site, number=1 + n // len(patients),
            route="iv", planned_start=dosed, planned_mg_per_kg=0.5, protocol=protocol,
            state="discharged", dosed_at=dosed, discharged_at=dosed + timedelta(minutes=90),
            signed_at=dosed + timedelta(minutes=100), weight_kg=70,
        )  # fmt: skip

    batched((session(n, *row) for n, row in enumerate(chosen)), DosingSession)
    sessions = DosingSession.objects.filter(clinic=clinic, patient_id__in=[p for p, _, _ in patients])
    rows = sessions.values_list("pk", "patient_id", "dosed_at").iterator(chunk_size=20_000)
    batched(
        (
            VitalSign(
                clinic=clinic,
                patient_id=patient,
                session_id=pk,
                source="device",
                identifier=f"b{pk}-{k}",
                taken_at=dosed + timedelta(minutes=3 * k),
                systolic=rng.randint(105, 150),
                diastolic=rng.randint(65, 92),
                heart_rate=rng.randint(58, 105),
                spo2=rng.randint(94, 99),
                resp_rate=rng.randint(12, 18),
            )  # fmt: skip
            for pk, patient, dosed in rows
            for k in range(READINGS_PER_SESSION)
        ),
        VitalSign,
    )
    readings = VitalSign.objects.filter(clinic=clinic).count()
    say(f"  {sessions.count():,} dosing sessions, {readings:,} readings")


def add_board(clinic, site) -> None:
    """BOARD_SESSIONS sessions under monitoring at one site, with a morning of readings each."""
    from django.utils import timezone

    from kapcare.clinics.models import Protocol, Room
    from kapcare.patients.models import Course, Patient
    from kapcare.sessions.models import DosingSession, VitalSign

    now = timezone.now()
    protocol = Protocol.active_for(clinic)
    rng = random.Random(4)
    rooms = list(Room.objects.filter(site=site))
    for n in range(len(rooms), BOARD_SESSIONS):
        rooms.append(Room.objects.create(site=site, name=f"Board room {n + 1}"))
    for n in range(BOARD_SESSIONS):
        patient = Patient.objects.create(
            clinic=clinic, mrn=f"BOARD{n:03d}", legal_first_name=FIRST[n % len(FIRST)],
            legal_last_name=f"Board{n}", date_of_birth=date(1980, 1, 1), sex_at_birth="female",
        )  # fmt: skip
        course = Course.objects.create(
            clinic=clinic, patient=patient, condition="trd", state="active", site=site
        )
        dosed = now - timedelta(minutes=5 + n)
        session = DosingSession.objects.create(
            clinic=clinic, patient=patient, course=course, site=site, room=rooms[n], route="iv",
            planned_start=dosed, planned_mg_per_kg=0.5, protocol=protocol, state="monitoring",
            dosed_at=dosed, weight_kg=70,
        )  # fmt: skip
        VitalSign.objects.bulk_create(
            VitalSign(
                clinic=clinic,
                patient=patient,
                session=session,
                source="device",
                identifier=f"board-{session.pk}-{k}",
                taken_at=dosed + timedelta(seconds=20 * k),
                systolic=rng.randint(110, 140),
                diastolic=rng.randint(70, 88),
                heart_rate=rng.randint(60, 95),
                spo2=rng.randint(95, 99),
            )  # fmt: skip
            for k in range(15)
        )


def board_to_the_present(board) -> None:
    """Move the board's sessions and their readings to now, as they were when the dataset was
    built (dosed 5 to 54 minutes ago), and clear the alerts earlier runs raised on them: a board
    is a present-moment thing, and a dataset built days ago would otherwise show every session
    hours overdue, with more alerts at each run."""
    from django.db.models import F
    from django.utils import timezone

    from kapcare.sessions.models import Alert, VitalSign

    now = timezone.now()
    for n, session in enumerate(board.order_by("patient__mrn")):
        shift = now - timedelta(minutes=5 + n) - session.dosed_at
        VitalSign.objects.filter(session=session).update(taken_at=F("taken_at") + shift)
        type(session).objects.filter(pk=session.pk).update(
            dosed_at=F("dosed_at") + shift, planned_start=F("planned_start") + shift
        )
    Alert.objects.filter(session__in=board).delete()


# The measurements.


def measure() -> list[tuple[str, float]]:
    from django.db import connection

    from kapcare.clinics.models import Clinic, User
    from kapcare.fhir.models import ApiToken
    from kapcare.patients.models import Patient
    from kapcare.sessions.models import DosingSession

    clinic = Clinic.objects.get(slug="demo")
    prescriber = signed_in_client(User.objects.get(email="prescriber@demo.kapcare.example"))
    nurse = signed_in_client(User.objects.get(email="nurse@demo.kapcare.example"))
    rng = random.Random(7)
    ids = list(Patient.objects.filter(clinic=clinic, mrn__startswith="S").values_list("pk", flat=True))
    sample = rng.sample(ids, min(len(ids), ROUNDS))
    rows = []

    def each(make_url, client, **headers):
        urls = iter([make_url(pk) for pk in sample] * 2)
        return lambda: check(client.get(next(urls), **headers))

    rows.append(("GET /healthz (baseline)", p95(timed(lambda: prescriber.get("/healthz"), ROUNDS))))

    def raw():
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM patients_patient WHERE id = %s", [rng.choice(ids)])
            cursor.fetchone()

    rows.append(("raw SQL: one patient row (baseline)", p95(timed(raw, ROUNDS))))
    # The chart: the page, then each panel it loads, as the prescriber's browser does.
    chart = prescriber.get(f"/staff/patients/{sample[0]}/").content.decode()
    panels = [
        re.sub(r"/\d+/", "/{pk}/", url.replace("&amp;", "&"))
        for url in re.findall(r'hx-get="([^"]+)"', chart)
    ]
    rows.append(("chart page", p95(timed(each(lambda pk: f"/staff/patients/{pk}/", prescriber), ROUNDS))))
    for panel in panels:
        label = "chart panel " + panel.split("?")[0].replace("/staff/", "").replace("/{pk}/", " ").strip("/ ")
        panel_get = each(lambda pk, p=panel: p.format(pk=pk), prescriber, HTTP_HX_REQUEST="true")
        rows.append((label, p95(timed(panel_get, ROUNDS))))
    board = DosingSession.objects.filter(clinic=clinic, state="monitoring", patient__mrn__startswith="BOARD")
    site = board.values_list("site_id", flat=True).first()
    board_to_the_present(board)
    rows.append(
        (
            f"live board, {BOARD_SESSIONS} sessions",
            p95(
                timed(
                    lambda: check(nurse.get(f"/staff/sessions/board/{site}/", HTTP_HX_REQUEST="true")), ROUNDS
                )
            ),
        )
    )
    _, secret = ApiToken.issue(clinic=clinic, scopes="system/*.read", name=f"bench {uuid.uuid4().hex[:6]}")
    fhir = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT": "application/fhir+json"}
    api = prescriber.__class__()
    for label, url in [
        ("FHIR read Patient", "/fhir/R4/Patient/{pk}"),
        ("FHIR search QuestionnaireResponse?patient", "/fhir/R4/QuestionnaireResponse?patient={pk}"),
        ("FHIR search Observation?patient (survey)", "/fhir/R4/Observation?patient={pk}&category=survey"),
        ("FHIR search Observation (vitals)", "/fhir/R4/Observation?category=vital-signs&patient={pk}"),
    ]:
        if api.get(url.format(pk=sample[0]), **fhir).status_code != 200:
            say(f"  {label}: not served yet, left out")
            continue
        rows.append((label, p95(timed(each(lambda pk, u=url: u.format(pk=pk), api, **fhir), ROUNDS))))
    return rows


def check(response):
    if response.status_code != 200:
        raise SystemExit(f"{response.request['PATH_INFO']} answered {response.status_code}")
    return response


def ingestion() -> float:
    """Readings per second through the batch API's ingestion, into the 50 board sessions."""
    from django.utils import timezone

    from kapcare.clinics.models import Clinic
    from kapcare.sessions.devices import ingest_observations
    from kapcare.sessions.models import DosingSession, VitalSign

    clinic = Clinic.objects.get(slug="demo")
    board = DosingSession.objects.filter(clinic=clinic, state="monitoring", patient__mrn__startswith="BOARD")
    patients = list(board.values_list("patient_id", flat=True))
    now = timezone.now()
    bundles = [
        {"resourceType": "Bundle", "type": "batch", "entry": [{"resource": {
            "resourceType": "Observation", "status": "final",
            "identifier": [{"system": "urn:bench", "value": uuid.uuid4().hex}],
            "category": [{"coding": [{"system": CATEGORY, "code": "vital-signs"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "subject": {"reference": f"Patient/{patients[k % len(patients)]}"},
            "effectiveDateTime": now.isoformat(),
            "valueQuantity": {"value": 60 + k % 30, "unit": "/min", "system": UCUM, "code": "/min"},
        }} for k in range(500)]}
        for _ in range(10)
    ]  # fmt: skip
    started = time.perf_counter()
    for bundle in bundles:
        ingest_observations(clinic, bundle, actor="bench")
    rate = 5_000 / (time.perf_counter() - started)
    # Take them out again, so each run finds the board as the dataset was built (a session of
    # 15 readings, not one grown by every earlier run).
    VitalSign.objects.filter(session__in=board, identifier__startswith="urn:bench|").delete()
    return rate


def main() -> int:
    keep = ROOT / "var" / "bench-pg"
    with postgres(keep) as server, tempfile.TemporaryDirectory() as var:
        url = f"{server}/kapcare_scale"
        fresh = dataset_found(url) != (DATASET_VERSION, SCALE)
        create_database(url, fresh=fresh)
        setup_django(url, var)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        if fresh:
            build_dataset()
        rows = measure()
        rate = ingestion()
    baseline = rows[0][1]
    say(f"\n{'p95 server time':<48}{'ms':>8}{'× healthz':>11}  verdict")
    worst = 0.0
    for label, value in rows:
        is_baseline = "baseline" in label
        verdict = "" if is_baseline else ("ok" if value < BUDGET_MS else "OVER 50 ms")
        worst = worst if is_baseline else max(worst, value)
        say(f"{label:<48}{value:>8.1f}{value / baseline:>11.1f}  {verdict}")
    say(f"\nbatch ingestion: {rate:,.0f} readings per second (budget {INGEST_BUDGET:,})")
    ok = worst < BUDGET_MS and rate >= INGEST_BUDGET
    say(f"worst p95 {worst:.1f} ms: {'meets' if ok else 'MISSES'} the budgets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
