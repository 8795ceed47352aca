"""FHIR API throughput and latency with 4 concurrent clients, audit on, against a live server.

Starts `kapcare serve --no-worker` (whatever web server `kapcare serve` runs) on a free
localhost port with a fresh SQLite database, and again on PostgreSQL when DATABASE_URL is set
(use a throw-away database: the benchmark adds a clinic, patients and sessions to it). The
clinic's patients each have a dosing session in monitoring (bench/fhir_setup.py). Four client
threads, each keeping its connection open as an integration does, each kind of work warmed up
with a few requests first, then:
- GET /healthz: the baseline, measured in the same run;
- POST /fhir/R4/Observation: vital signs (blood pressure, heart rate, SpO2 in turn) for those
  patients, each validated, kept through the sessions app's ingest (session, identifier, alert
  rules), versioned and audited: create throughput and p95, the interaction Medplum was measured on;
- GET /fhir/R4/Observation?patient=&code=&_count=20 and ?patient=&category=vital-signs&date=ge:
  search p95;
- POST /fhir/R4/Patient (create) and GET /fhir/R4/Patient?family= and /Patient/{id}, as before.
Ratios are printed against the baseline and against the reference in issue #9: Medplum 4.5.2 on
this machine kind, about 100 Observation creates per second (p95 about 55 ms) and searches at
p95 15-30 ms with 4 clients; kapcare's goal is three times the creates and half the search p95.

Each kind of work also shows the processor time it took per request (from /proc, Linux only),
split between the clients (this process), the web server (its processes) and PostgreSQL (every
`postgres` process on the machine, so run it on a quiet one). With 4 clients on 2 cores, p95 is
about 2.8 times the processor time of a request, which says what a latency goal needs.
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.lib import free_port, wait_until_up  # noqa: E402

CLIENTS = 4
CREATES_PER_CLIENT = int(os.environ.get("FHIR_BENCH_CREATES", 250))
SEARCHES_PER_CLIENT = int(os.environ.get("FHIR_BENCH_SEARCHES", 200))
WARM_UP = 20  # requests per client of each kind before it is measured
MEDPLUM_CREATES_PER_SECOND = 100
MEDPLUM_CREATE_P95_MS = 55
MEDPLUM_SEARCH_P95_MS = (15, 30)
MONITORED = 8  # patients with a dosing session in monitoring
LOINC = "http://loinc.org"
FAMILIES = ["Abbott", "Baptiste", "Cardenas", "Delacroix", "Esposito", "Fontaine", "Gutierrez", "Holloway"]


def kapcare(env, *args) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "kapcare", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def patient(index: int) -> dict:
    return {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": FAMILIES[index % len(FAMILIES)], "given": [f"Bench{index}"]}],
        "birthDate": f"{1940 + index % 60}-{1 + index % 12:02d}-{1 + index % 28:02d}",
        "gender": ["female", "male", "other"][index % 3],
        "telecom": [{"system": "email", "value": f"bench{index}@example.org"}],
        "address": [{"line": [f"{index} Elm Street"], "city": "Salem", "state": "MA", "postalCode": "01970"}],
    }


def cpu_seconds(server_pid: int | None) -> tuple[float, float, float]:
    """Processor time so far of (this process, the web server's processes, PostgreSQL's);
    zeros where /proc is missing."""
    if not Path("/proc/self/stat").exists():
        return 0.0, 0.0, 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    web = database = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        used = (int(fields[11]) + int(fields[12])) / ticks
        if int(entry.name) == server_pid or int(fields[1]) == server_pid:
            web += used
        elif command.startswith("postgres"):
            database += used
    return time.process_time(), web, database


def run_clients(port: int, token: str, requests_for, server_pid: int | None = None):
    """Each client sends its requests in turn; returns (seconds, latencies in ms, failures,
    processor ms per request as (clients, web, database))."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()

    def client(number: int) -> None:
        mine, failed = [], 0
        # Each client keeps its connection open, as an integration talking to the API does.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for method, path, body in requests_for(number):
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
            if body is not None:
                headers["Content-Type"] = "application/fhir+json"
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000)
            failed += response.status >= 400
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    before = cpu_seconds(server_pid)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    used = [
        (after - then) * 1000 / max(len(latencies), 1)
        for then, after in zip(before, cpu_seconds(server_pid), strict=True)
    ]
    return seconds, latencies, failures[0], tuple(used)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def measure(env: dict, label: str) -> None:
    port = free_port()
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    kapcare(env, "migrate", "-v", "0")
    kapcare(env, "createclinic", slug, "FHIR benchmark clinic")
    token = kapcare(env, "apitoken", "--clinic", slug, "--scopes", "system/*.*", "--name", "fhir bench")
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "fhir_setup.py"), slug, str(MONITORED)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    monitored = done.stdout.split()
    server = subprocess.Popen(
        [sys.executable, "-m", "kapcare", "serve", "--no-worker", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(port, server)
        rows = run_all(port, token, monitored, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    report(label, rows)


def reading(index: int, patient_id: str, at: str) -> dict:
    """A monitor's reading, as bench/fhir_setup.py's sessions take them: BP, heart rate, SpO2 in turn."""
    kind = index % 3
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "identifier": [{"system": "urn:bench:monitor", "value": f"{uuid.uuid4().hex}"}],
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                    }
                ]
            }
        ],
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": at,
        "device": {"display": "Bench monitor"},
    }
    quantity = {"system": "http://unitsofmeasure.org"}
    if kind == 0:
        resource["code"] = {"coding": [{"system": LOINC, "code": "85354-9"}]}
        resource["component"] = [
            {
                "code": {"coding": [{"system": LOINC, "code": code}]},
                "valueQuantity": quantity | {"value": value, "unit": "mmHg", "code": "mm[Hg]"},
            }
            for code, value in (("8480-6", 118 + index % 20), ("8462-4", 76 + index % 10))
        ]
    elif kind == 1:
        resource["code"] = {"coding": [{"system": LOINC, "code": "8867-4"}]}
        resource["valueQuantity"] = quantity | {"value": 70 + index % 20, "unit": "/min", "code": "/min"}
    else:
        resource["code"] = {"coding": [{"system": LOINC, "code": "59408-5"}]}
        resource["valueQuantity"] = quantity | {"value": 95 + index % 5, "unit": "%", "code": "%"}
    return resource


def run_all(port: int, token: str, monitored: list[str], server_pid: int) -> dict:
    count = CREATES_PER_CLIENT

    def observation_creates(n):
        # Readings a minute apart in the past hour, so the alert rules see a realistic history.
        start = time.time() - 3000
        out = []
        for i in range(count):
            index = n * count + i
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + index * 60 / len(monitored) % 2900))
            body = reading(index, monitored[index % len(monitored)], at)
            out.append(("POST", "/fhir/R4/Observation", json.dumps(body)))
        return out

    def observation_code_searches(n):
        codes = ["8867-4", "85354-9", "59408-5"]
        return [
            (
                "GET",
                f"/fhir/R4/Observation?patient={monitored[(n + i) % len(monitored)]}"
                f"&code=http://loinc.org|{codes[i % 3]}&_count=20",
                None,
            )
            for i in range(SEARCHES_PER_CLIENT)
        ]

    def observation_category_searches(n):
        return [
            (
                "GET",
                f"/fhir/R4/Observation?patient={monitored[(n + i) % len(monitored)]}"
                "&category=vital-signs&date=ge2000-01-01&_sort=-date&_count=20",
                None,
            )
            for i in range(SEARCHES_PER_CLIENT)
        ]

    def healthz(n):
        return [("GET", "/healthz", None)] * count

    def creates(n):
        return [("POST", "/fhir/R4/Patient", json.dumps(patient(n * count + i))) for i in range(count)]

    def family_searches(n):
        return [
            ("GET", f"/fhir/R4/Patient?family={FAMILIES[(n + i) % len(FAMILIES)]}&_count=20", None)
            for i in range(SEARCHES_PER_CLIENT)
        ]

    def date_searches(n):
        return [
            (
                "GET",
                f"/fhir/R4/Patient?birthdate=ge{1950 + (n + i) % 40}-01-01&_count=20&_sort=birthdate",
                None,
            )
            for i in range(SEARCHES_PER_CLIENT)
        ]

    def reads(n):
        return [
            # The bench clinic's own patients: on a database used before, ids do not start at 1.
            ("GET", f"/fhir/R4/Patient/{monitored[(n * 37 + i) % len(monitored)]}", None)
            for i in range(SEARCHES_PER_CLIENT)
        ]

    rows = {}
    for name, work in [
        ("GET /healthz (baseline)", healthz),
        ("POST Observation (create)", observation_creates),
        ("search Observation code=", observation_code_searches),
        ("search Observation category=", observation_category_searches),
        ("POST Patient (create)", creates),
        ("search family=, _count=20", family_searches),
        ("search birthdate=ge, _sort", date_searches),
        ("GET Patient/{id} (read)", reads),
    ]:
        # Warm up first with a few requests of the same kind (each server process and thread
        # opens its database connection and loads what the work needs on first use), as a
        # server that has been running a while has: the comparison is of steady throughput.
        run_clients(port, token, lambda n, work=work: work(n + CLIENTS)[:WARM_UP])
        seconds, latencies, failures, used = run_clients(port, token, work, server_pid)
        rows[name] = (len(latencies) / seconds, p95(latencies), failures, used)
    return rows


def report(label: str, rows: dict) -> None:
    base_p95 = rows["GET /healthz (baseline)"][1]
    print(f"\n{label}: {CLIENTS} clients, audit on")
    print(
        f"{'work':<32}{'per second':>11}{'p95 ms':>9}{'p95 / healthz':>15}{'failed':>8}"
        f"{'CPU ms per request: clients + web + PostgreSQL':>50}"
    )
    for name, (rate, latency, failures, used) in rows.items():
        split = " + ".join(f"{ms:.2f}" for ms in used)
        print(
            f"{name:<32}{rate:>11,.0f}{latency:>9.1f}{latency / base_p95:>15.1f}{failures:>8}"
            f"{f'{sum(used):.2f} = {split}':>50}"
        )
    create_rate, create_p95 = rows["POST Observation (create)"][:2]
    search_p95 = max(rows["search Observation code="][1], rows["search Observation category="][1])
    low, high = MEDPLUM_SEARCH_P95_MS
    print(
        f"creates: {create_rate / MEDPLUM_CREATES_PER_SECOND:.1f}x Medplum's {MEDPLUM_CREATES_PER_SECOND}/s "
        f"(goal 3x): {'meets' if create_rate >= 3 * MEDPLUM_CREATES_PER_SECOND else 'MISSES'}; "
        f"create p95 {create_p95 / MEDPLUM_CREATE_P95_MS:.2f}x Medplum's {MEDPLUM_CREATE_P95_MS} ms"
    )
    print(
        f"Observation search p95 (slower of the two): {search_p95 / high:.2f}x-{search_p95 / low:.2f}x "
        f"Medplum's "
        f"{low}-{high} ms (goal 0.5x): {'meets' if search_p95 <= low / 2 else 'MISSES'} "
        f"(half of the low end, {low / 2:.1f} ms)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as var:
        env = os.environ | {"KAPCARE_VAR_DIR": var, "KAPCARE_DEBUG": "false"}
        postgres = env.pop("DATABASE_URL", None)
        if not (postgres and os.environ.get("FHIR_BENCH_POSTGRES_ONLY")):
            measure(env, "SQLite")
        if postgres:
            measure(env | {"DATABASE_URL": postgres}, "PostgreSQL")


if __name__ == "__main__":
    main()
