#!/usr/bin/env python3
"""Nobody is locked out while data is written (RELIABILITY.md): the server
under a steady mix of people while a 6,000,000-row hotline import runs from
the command line. Run through scripts/import-under-load, which builds the
release binary and (for PostgreSQL) starts a throwaway server.

The mix, for the whole run:
- READERS threads signed in as leader, each in turn fetching pages
  (overview, a unit, its indicator drill-down, publication) and API answers
  (rankings, a unit, its explanations) with a token, pausing THINK seconds
  between requests;
- one thread signing in over and over (each sign-in writes a session and an
  audit entry);
- one thread signed in as the unit 鹿城区 filing an objection against one
  of its hotline tickets after another (a write with an audit entry).

First the same import runs alone into a second database holding only
the unit register (the peer for the import's own time). Then, with the
mix running: QUIET seconds with no import (the peer for latency), then
the import from start to end. For each phase and kind of request: count,
answers by status class, p50, p99 and the longest. Fails when any answer
is a 5xx or a connection error, reads p99 >= 200 ms or writes p99 >= 2 s
during the import.
"""

import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/zhengxin-target"))
Z = os.path.join(TARGET, "release", "zhengxin")
ROWS = int(os.environ.get("ROWS", "6000000"))
READERS = int(os.environ.get("READERS", "4"))
THINK = float(os.environ.get("THINK", "0.05"))
QUIET = float(os.environ.get("QUIET", "30"))
PORT = int(os.environ.get("PORT", "18190"))
PG_URL = os.environ.get("PG_URL")
PASSWORD = "zhengxin-demo"


def z(url, *args, **kw):
    return subprocess.run([Z, "--database-url", url, *args], capture_output=True, text=True, check=True, **kw)


def hotline_file(path, rows):
    """Tickets of the demo's units at unsorted times across 2025."""
    rng = random.Random(6)
    units = ["330302", "330303", "330304", "330305", "330324", "330326", "330327", "330328", "330329", "330381", "330382", "330383"]
    with open(path, "w") as f:
        f.write("id,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat\n")
        for i in range(rows):
            day = rng.randrange(1, 365)
            month, dom = divmod(day, 28)
            month, dom = min(month + 1, 12), dom + 1
            hour = rng.randrange(8, 18)
            f.write(f"HL{i:09d},{units[i % len(units)]},2025-{month:02d}-{dom:02d} {hour:02d}:{rng.randrange(60):02d},"
                    f"2025-{month:02d}-{dom:02d} 20:00,2025-{month:02d}-{dom:02d} 19:00,complaint,0,0,satisfied,0\n")


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.phase = "quiet"
        self.samples = []  # (phase, kind, seconds, status)

    def record(self, kind, seconds, status):
        with self.lock:
            self.samples.append((self.phase, kind, seconds, status))


def timed(rec, kind, f):
    started = time.monotonic()
    try:
        status = f()
    except urllib.error.HTTPError as e:
        status = e.code
    except Exception:
        status = 0  # no answer at all
    rec.record(kind, time.monotonic() - started, status)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def session(base, user):
    jar = urllib.request.HTTPCookieProcessor()
    opener = urllib.request.build_opener(jar, NoRedirect())
    page = opener.open(f"{base}/login", timeout=30).read().decode()
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    form = urllib.parse.urlencode({"username": user, "password": PASSWORD, "csrf": csrf, "next": "/"}).encode()
    try:
        opener.open(f"{base}/login", form, timeout=30)
    except urllib.error.HTTPError as e:
        if e.code != 303:
            raise
    return opener


def status_of(opener, url, data=None):
    try:
        with opener.open(url, data, timeout=30) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        if e.code in (302, 303):
            return e.code
        raise


def reader(base, opener, token, rec, stop):
    pages = ["/", "/units/330302", "/units/330302/indicators/hotline_ontime", "/publication", "/units/330381"]
    api = ["/api/v1/rankings?group=county", "/api/v1/units/330302", "/api/v1/units/330302/explanations"]
    i = 0
    while not stop.is_set():
        path = pages[i % len(pages)]
        timed(rec, "page", lambda: status_of(opener, base + path))
        req = urllib.request.Request(base + api[i % len(api)], headers={"Authorization": f"Bearer {token}"})
        timed(rec, "api", lambda: status_of(urllib.request.build_opener(), req))
        i += 1
        time.sleep(THINK)


def signer(base, rec, stop):
    """Signs in over and over (the only thread signing in once the others
    have: in-flight attempts from one address count against it)."""
    while not stop.is_set():
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(), NoRedirect())
        def attempt():
            page = opener.open(f"{base}/login", timeout=30).read().decode()
            csrf = page.split('name="csrf" value="')[1].split('"')[0]
            form = urllib.parse.urlencode({"username": "leader", "password": PASSWORD, "csrf": csrf, "next": "/"}).encode()
            return status_of(opener, f"{base}/login", form)
        timed(rec, "sign-in", attempt)
        time.sleep(THINK * 4)


def objector(base, opener, records, rec, stop):
    page = opener.open(f"{base}/objections", timeout=30).read().decode()
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    for record in records:
        if stop.is_set():
            break
        form = urllib.parse.urlencode({"csrf": csrf, "source": "hotline", "record_id": record, "reason": "import under load"}).encode()
        timed(rec, "objection", lambda: status_of(opener, f"{base}/objections", form))
        time.sleep(THINK * 4)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] if values else float("nan")


def url_alone(url, work):
    """A second database beside `url`, for the import alone."""
    if url.startswith("sqlite://"):
        return f"sqlite://{work}/alone.db"
    return url.rsplit("/", 1)[0] + "/load_alone"


def main():
    work = tempfile.mkdtemp(prefix="zhengxin-load.")
    if PG_URL:
        subprocess.run(["psql", "-qAt", PG_URL, "-c", "DROP DATABASE IF EXISTS load_live WITH (FORCE)"], check=True, capture_output=True)
        subprocess.run(["psql", "-qAt", PG_URL, "-c", "CREATE DATABASE load_live"], check=True, capture_output=True)
        subprocess.run(["psql", "-qAt", PG_URL, "-c", "DROP DATABASE IF EXISTS load_alone WITH (FORCE)"], check=True, capture_output=True)
        subprocess.run(["psql", "-qAt", PG_URL, "-c", "CREATE DATABASE load_alone"], check=True, capture_output=True)
        url = PG_URL.rsplit("/", 1)[0] + "/load_live"
        backend = "postgres"
    else:
        url = f"sqlite://{work}/load.db"
        backend = "sqlite"
    hotline = os.path.join(work, "hotline-2025.csv")
    started = time.monotonic()
    hotline_file(hotline, ROWS)
    print(f"# {backend}: wrote {ROWS} rows ({os.path.getsize(hotline) >> 20} MiB) in {time.monotonic() - started:.0f} s", flush=True)
    # The peer: the same import alone, into a database holding only the
    # unit register (the loaded one also holds the demo's records).
    units = os.path.join(work, "units")
    z(url_alone(url, work), "seed-demo", "--scale", "0.01", "--csv", units)
    z(url_alone(url, work), "import", os.path.join(units, "units.csv"))
    started = time.monotonic()
    z(url_alone(url, work), "import", hotline)
    alone = time.monotonic() - started
    print(f"# import of {ROWS} rows alone: {alone:.1f} s ({ROWS / alone:,.0f} rows/s)", flush=True)
    server = subprocess.Popen([Z, "--database-url", url, "serve", "--bind", f"127.0.0.1:{PORT}", "--demo-scale", "1"],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "server.log"), "w"))
    base = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(1200):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except Exception:
                time.sleep(0.5)
        token = z(url, "token", "create", "leader", "--name", "load").stdout.strip().split()[-1]
        if backend == "sqlite":
            con = sqlite3.connect(f"{work}/load.db")
            records = [r[0] for r in con.execute("SELECT id FROM hotline_tickets WHERE unit_code = '330302' ORDER BY id LIMIT 20000")]
            con.close()
        else:
            out = subprocess.run(["psql", "-qAt", url, "-c", "SELECT id FROM hotline_tickets WHERE unit_code = '330302' ORDER BY id LIMIT 20000"],
                                 check=True, capture_output=True, text=True).stdout
            records = out.split()
        rec = Recorder()
        stop = threading.Event()
        # Signed in one after another: attempts in flight at once from one
        # address count as guesses.
        readers = [session(base, "leader") for _ in range(READERS)]
        threads = [threading.Thread(target=reader, args=(base, opener, token, rec, stop)) for opener in readers]
        threads.append(threading.Thread(target=objector, args=(base, session(base, "lucheng"), records, rec, stop)))
        threads.append(threading.Thread(target=signer, args=(base, rec, stop)))
        for t in threads:
            t.start()
        time.sleep(QUIET)
        rec.phase = "import"
        started = time.monotonic()
        imported = subprocess.run([Z, "--database-url", url, "import", hotline], capture_output=True, text=True)
        seconds = time.monotonic() - started
        stop.set()
        for t in threads:
            t.join()
        if imported.returncode != 0:
            sys.exit("import failed: " + imported.stdout[-500:] + imported.stderr[-500:])
        print(f"# import of {ROWS} rows under load: {seconds:.1f} s ({ROWS / seconds:,.0f} rows/s)", flush=True)
        print(f"| back-end | phase | request | count | 2xx/3xx | 4xx | 5xx or none | p50 ms | p99 ms | max ms |")
        print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
        failed = False
        for phase in ["quiet", "import"]:
            for kind in ["page", "api", "sign-in", "objection"]:
                got = [(s, st) for (ph, k, s, st) in rec.samples if ph == phase and k == kind]
                secs = [s for s, _ in got]
                ok = sum(1 for _, st in got if 200 <= st < 400)
                c4 = sum(1 for _, st in got if 400 <= st < 500)
                bad = sum(1 for _, st in got if st >= 500 or st == 0)
                p99 = percentile(secs, 0.99)
                print(f"| {backend} | {phase} | {kind} | {len(got)} | {ok} | {c4} | {bad} | {percentile(secs, 0.5) * 1000:.0f} | {p99 * 1000:.0f} | {max(secs, default=0) * 1000:.0f} |")
                limit = 0.2 if kind in ("page", "api") else 2.0
                failed |= bad > 0 or (phase == "import" and p99 >= limit) or not got
        sys.exit(1 if failed else 0)
    finally:
        server.terminate()
        server.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
