"""Memory of the web server and the background worker together, with the demo clinic loaded and
the main pages visited (and the charts of a few patients with every panel), against the 500 MB
budget. Memory is the proportional set size (PSS) summed over the processes: the web server forks
its processes from one loaded copy, and PSS counts pages they share once, where summing resident
sizes would count them once per process."""

import http.cookiejar
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.lib import free_port  # noqa: E402

BUDGET_MB = 500
PAGES = ["/", "/staff/", "/staff/patients/", "/staff/patients/?q=a", "/staff/audit/", "/staff/team/"]


def pss_mb(pid: int) -> float:
    """Proportional memory of a process and all its descendants."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/smaps_rollup").read_text()
            total += int(re.search(r"^Pss:\s+(\d+)", status, re.M).group(1))
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (FileNotFoundError, AttributeError, ProcessLookupError):
            continue
        pending.extend(int(child) for child in children)
    return total / 1024


def kapcare(env, *args, **kwargs):
    return subprocess.run([sys.executable, "-m", "kapcare", *args], env=env, check=True, **kwargs)


def sign_in(base: str, email: str, password: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/staff/signin/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": email, "password": password})
    opener.open(urllib.request.Request(base + "/staff/signin/", data.encode(), headers={"Referer": base}))
    return opener


def main() -> None:
    with tempfile.TemporaryDirectory() as var:
        env = os.environ | {"KAPCARE_VAR_DIR": var, "KAPCARE_DEMO_MODE": "true"}
        env.pop("DATABASE_URL", None)
        kapcare(env, "migrate", "-v", "0")
        kapcare(env, "demo", stdout=subprocess.DEVNULL)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "kapcare", "serve", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/healthz")
                    break
                except OSError:
                    time.sleep(0.2)
            idle = pss_mb(server.pid)
            admin = sign_in(base, "admin@demo.kapcare.example", "kapcare-demo-2026")
            if "/signin/" in admin.open(base + "/staff/").url:
                raise SystemExit("could not sign in as the demo admin")
            prescriber = sign_in(base, "prescriber@demo.kapcare.example", "kapcare-demo-2026")
            listing = prescriber.open(base + "/staff/patients/").read().decode()
            charts = sorted(set(re.findall(r'href="(/staff/patients/\d+/)"', listing)))[:4]
            if not charts:
                raise SystemExit("the patient list links to no chart")
            views = 0
            for _ in range(20):
                for page in PAGES:
                    admin.open(base + page).read()
                    views += 1
                for chart in charts:
                    # The chart and every panel it loads, as the prescriber's browser would.
                    html = prescriber.open(base + chart).read().decode()
                    panels = re.findall(r'hx-get="([^"]+)"', html)
                    for panel in panels:
                        prescriber.open(base + panel.replace("&amp;", "&")).read()
                    views += 1 + len(panels)
            busy = pss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(f"{'measure':<42}{'MB':>8}{'budget':>10}{'share':>8}")
    for label, value in [("web + worker, started", idle), (f"web + worker, after {views} page views", busy)]:
        print(f"{label:<42}{value:>8.0f}{BUDGET_MB:>10}{value / BUDGET_MB:>8.0%}")


if __name__ == "__main__":
    main()
