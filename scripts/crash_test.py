#!/usr/bin/env python3
"""Crash test (RELIABILITY.md): SIGKILL at random moments of an import, a
scoring, a publication, an objection decision and a backup, N times each,
on SQLite and (with PG_URL set) PostgreSQL. Run through scripts/crash-test,
which starts a throwaway PostgreSQL server.

For each operation the database is first brought to a known state
("before"), the operation is run once to the end to learn "after", and
then, N times: reset to before, start the operation, kill it with SIGKILL
after a random delay between 0 and 1.2 x its usual duration, and check:
- the database opens and is intact (SQLite: PRAGMA integrity_check);
- its state as readers see it (row counts of every table, and the
  columns a decision changes) equals before or after, never anything in
  between;
- for an import, which writes in steps: running it again to the end
  leaves exactly what the uninterrupted run left, every stored row
  counted (what the killed run wrote is removed first);
- `zhengxin audit verify` passes and `zhengxin results` re-checks every
  stored version's content hash;
- for a backup: the backup file is either absent or whole (it restores).
"""

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/zhengxin-target"))
Z = os.path.join(TARGET, "release", "zhengxin")
N = int(os.environ.get("RUNS", "20"))
OPS = [o for o in os.environ.get("OPS", "").split(",") if o]
ROWS = int(os.environ.get("ROWS", "200000"))
PG_URL = os.environ.get("PG_URL")
rng = random.Random(int(os.environ.get("SEED", "2026")))


def z(url, *args, check=True, **kw):
    return subprocess.run([Z, "--database-url", url, *args], capture_output=True, text=True, check=check, **kw)


class Sqlite:
    name = "sqlite"

    def __init__(self, work):
        self.work = work
        self.path = os.path.join(work, "live.db")
        self.url = f"sqlite://{self.path}"

    def save(self, label):
        self._checkpoint()
        for suffix in ["", "-wal", "-shm"]:
            if os.path.exists(self.path + suffix):
                shutil.copy(self.path + suffix, os.path.join(self.work, f"{label}.db{suffix}"))

    def reset(self, label):
        for suffix in ["", "-wal", "-shm"]:
            if os.path.exists(self.path + suffix):
                os.remove(self.path + suffix)
            saved = os.path.join(self.work, f"{label}.db{suffix}")
            if os.path.exists(saved):
                shutil.copy(saved, self.path + suffix)

    def _checkpoint(self):
        con = sqlite3.connect(self.path)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()

    def intact(self):
        con = sqlite3.connect(self.path)
        verdict = con.execute("PRAGMA integrity_check").fetchone()[0]
        con.close()
        return verdict == "ok"

    def query(self, sql):
        con = sqlite3.connect(self.path)
        rows = con.execute(sql).fetchall()
        con.close()
        return rows


class Postgres:
    name = "postgres"

    def __init__(self, work):
        self.admin = PG_URL
        self.base = PG_URL.rsplit("/", 1)[0]
        self.url = f"{self.base}/crash_live"
        self.psql("DROP DATABASE IF EXISTS crash_live WITH (FORCE)")
        self.psql("CREATE DATABASE crash_live")

    def psql(self, sql, db=None):
        url = db or self.admin
        return subprocess.run(["psql", "-qAt", "-v", "ON_ERROR_STOP=1", url, "-c", sql], capture_output=True, text=True, check=True).stdout

    def save(self, label):
        self.psql(f"DROP DATABASE IF EXISTS crash_{label} WITH (FORCE)")
        self.psql(f"CREATE DATABASE crash_{label} TEMPLATE crash_live")

    def reset(self, label):
        self.psql("DROP DATABASE IF EXISTS crash_live WITH (FORCE)")
        self.psql(f"CREATE DATABASE crash_live TEMPLATE crash_{label}")

    def intact(self):
        # PostgreSQL has no integrity pragma: the state must read, and the
        # checks below verify hashes and the audit chain.
        return self.psql("SELECT 1", self.url).strip() == "1"

    def query(self, sql):
        out = self.psql(sql, self.url)
        return [tuple(line.split("|")) for line in out.splitlines() if line]


TABLES = [
    "units", "commitments", "proposals", "hotline_tickets", "debt", "dishonesty_records", "ratings", "honours",
    "import_batches", "audit_log", "result_versions", "result_units", "result_indicators", "result_quality",
    "objections", "users", "sessions", "staged_imports",
]


SOURCE_TABLES = TABLES[:8]

# What readers see of a source table: no record of a pending import batch
# (an import writes in steps and marks its batches done in its last one).
VISIBLE = "(batch_id IS NULL OR batch_id NOT IN (SELECT id FROM import_batches WHERE state <> 'done'))"


def state(db, ignore=(), raw=False):
    """What an interrupted operation may leave only whole or not at all
    (`ignore`: tables that other, finished steps of the run change). By
    default as readers see it; `raw`: every stored row, pending or not."""
    s = {}
    for t in TABLES:
        if t in ignore:
            continue
        where = ""
        if not raw and t in SOURCE_TABLES:
            where = f" WHERE {VISIBLE}"
        elif not raw and t == "import_batches":
            where = " WHERE state = 'done'"
        try:
            s[t] = int(db.query(f"SELECT COUNT(*) FROM {t}{where}")[0][0])
        except Exception:
            pass
    s["published"] = [str(r[0]) for r in db.query("SELECT CASE WHEN published_at IS NULL THEN 'no' ELSE 'yes' END FROM result_versions ORDER BY id")]
    s["objections"] = [str(r[0]) for r in db.query("SELECT status FROM objections ORDER BY id")]
    s["decisions audited"] = int(db.query("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'objection_%'")[0][0])
    return s


def hotline_file(path):
    with open(path, "w") as f:
        f.write("id,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat\n")
        units = ["330302", "330303", "330381", "330302006"]
        for i in range(ROWS):
            u = units[i % len(units)]
            day = 1 + i % 27
            f.write(f"HX{i:08d},{u},2025-03-{day:02d} 09:00,2025-03-{day:02d} 18:00,2025-03-{day:02d} 12:00,complaint,0,0,satisfied,0\n")


def sign_in(base, user, password):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    page = opener.open(f"{base}/login").read().decode()
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    form = urllib.parse.urlencode({"username": user, "password": password, "csrf": csrf, "next": "/"}).encode()
    opener.open(f"{base}/login", form)
    page = opener.open(f"{base}/objections").read().decode()
    return opener, page.split('name="csrf" value="')[1].split('"')[0]


def start_server(db, port):
    """The server on `port`, answering; returns (process, base URL)."""
    server = subprocess.Popen([Z, "--database-url", db.url, "serve", "--no-demo", "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1)
            break
        except Exception:
            time.sleep(0.05)
    return server, base


def decide_via_server(db, port, kill_after):
    """Starts the server, signs in as the assessor, sends the decision, and
    kills the server after `kill_after` seconds from sending (None: let it
    finish). Returns seconds the decision took."""
    server, base = start_server(db, port)
    try:
        opener, csrf = sign_in(base, "assessor", "a-long-password")
        oid = db.query("SELECT id FROM objections WHERE status = 'open' ORDER BY id")[0][0]
        form = urllib.parse.urlencode({"csrf": csrf, "decision": "accept", "reason": "crash test"}).encode()
        started = time.monotonic()
        if kill_after is None:
            opener.open(f"{base}/objections/{oid}/decide", form)
            return time.monotonic() - started
        import threading
        threading.Thread(target=lambda: _quiet(lambda: opener.open(f"{base}/objections/{oid}/decide", form)), daemon=True).start()
        time.sleep(kill_after)
        server.send_signal(signal.SIGKILL)
        return time.monotonic() - started
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGKILL)
        server.wait()


def _quiet(f):
    try:
        f()
    except Exception:
        pass


def operations(db, work):
    """(name, prepare, run-as-process-args or callable)."""
    hotline = os.path.join(work, "hotline-2025.csv")
    hotline_file(hotline)
    examples = os.path.join(ROOT, "seeds/examples")
    backup = os.path.join(work, "backup.bin")

    def base():
        z(db.url, "import", examples)
        z(db.url, "user", "add", "assessor", "--role", "assessor", input="a-long-password\n")
        z(db.url, "user", "add", "lucheng", "--role", "unit", "--unit", "330302", input="a-long-password\n")

    def with_objection():
        # A unit objects to one of its records (through storage, as the
        # web page does); the assessment team decides in the test.
        server, base_url = start_server(db, 18300 + rng.randrange(500))
        try:
            opener, csrf = sign_in(base_url, "lucheng", "a-long-password")
            form = urllib.parse.urlencode({"csrf": csrf, "source": "dishonesty", "record_id": "X2025-001", "reason": "crash test"}).encode()
            opener.open(f"{base_url}/objections", form)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait()

    return [
        ("import", base, ["import", hotline]),
        ("scoring", lambda: (base(), z(db.url, "import", hotline)), ["score", "--year", "2025"]),
        ("publication", lambda: (base(), z(db.url, "score", "--year", "2025")), ["publish", "--year", "2025"]),
        ("objection decision", lambda: (base(), z(db.url, "score", "--year", "2025"), with_objection()), "decide"),
        ("backup", lambda: (base(), z(db.url, "import", hotline), z(db.url, "score", "--year", "2025")), ["backup", backup]),
    ]


def checks(db, work):
    problems = []
    if not db.intact():
        problems.append("integrity check failed")
    verify = z(db.url, "audit", "verify", check=False)
    if verify.returncode != 0:
        problems.append("audit verify: " + verify.stdout.strip())
    results = z(db.url, "results", "--year", "2025", check=False)
    if results.returncode != 0:
        problems.append("results: " + results.stdout.strip())
    return problems


def backup_whole(db, path, work):
    """A backup file left by a killed backup must be absent or restorable."""
    if not os.path.exists(path):
        return True
    if db.name == "sqlite":
        url = f"sqlite://{work}/restored-{rng.randrange(1 << 30)}.db"
    else:
        db.psql("DROP DATABASE IF EXISTS crash_restored WITH (FORCE)")
        db.psql("CREATE DATABASE crash_restored")
        url = f"{db.base}/crash_restored"
    return z(url, "restore", path, check=False).returncode == 0


def main():
    if not os.path.exists(Z):
        sys.exit(f"crash-test: build the release binary first ({Z} is missing)")
    backends = [Sqlite] + ([Postgres] if PG_URL else [])
    print(f"| back-end | operation | runs | killed mid-way | ended before | ended after | in between | other problems |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    failed = False
    for backend in backends:
        work = tempfile.mkdtemp(prefix="zhengxin-crash.")
        try:
            db = backend(work)
            for name, prepare, op in operations(db, work):
                if OPS and name not in OPS:
                    continue
                # The decision runs through the server, whose sign-in is a
                # finished step of its own (a session and an audit entry).
                ignore = ("audit_log", "sessions") if op == "decide" else ()
                if isinstance(db, Sqlite):
                    for suffix in ["", "-wal", "-shm"]:
                        if os.path.exists(db.path + suffix):
                            os.remove(db.path + suffix)
                else:
                    db.psql("DROP DATABASE IF EXISTS crash_live WITH (FORCE)")
                    db.psql("CREATE DATABASE crash_live")
                prepare()
                db.save("before")
                before = state(db, ignore)
                started = time.monotonic()
                port = 19000 + rng.randrange(1000)
                if op == "decide":
                    duration = decide_via_server(db, port, None)
                else:
                    z(db.url, *op)
                    duration = time.monotonic() - started
                after = state(db, ignore)
                after_raw = state(db, ignore, raw=True)
                assert before != after, f"{name} changed nothing"
                counts = {"before": 0, "after": 0, "between": 0, "mid": 0}
                other = []
                for run in range(N):
                    db.reset("before")
                    if op != "decide" and op[0] == "backup" and os.path.exists(op[1]):
                        os.remove(op[1])
                    delay = rng.uniform(0, 1.2 * max(duration, 0.002))
                    if op == "decide":
                        decide_via_server(db, port + 1 + run, delay)
                        finished = delay >= duration
                    else:
                        p = subprocess.Popen([Z, "--database-url", db.url, *op], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                        time.sleep(delay)
                        finished = p.poll() is not None
                        p.send_signal(signal.SIGKILL)
                        p.wait()
                    counts["mid"] += 0 if finished else 1
                    now = state(db, ignore)
                    if now == before:
                        counts["before"] += 1
                    elif now == after:
                        counts["after"] += 1
                    else:
                        counts["between"] += 1
                        other.append(f"run {run}: {json.dumps({k: (before.get(k), now.get(k), after.get(k)) for k in now if now.get(k) != before.get(k) and now.get(k) != after.get(k)})}")
                    problems = checks(db, work)
                    if op != "decide" and op[0] == "backup" and not backup_whole(db, op[1], work):
                        problems.append("a killed backup left a file that does not restore")
                    if op != "decide" and op[0] == "import":
                        rerun = z(db.url, *op, check=False)
                        if rerun.returncode != 0:
                            problems.append("the import run again failed: " + rerun.stderr.strip()[-200:])
                        elif state(db, ignore, raw=True) != after_raw:
                            problems.append("the import run again left other rows than an uninterrupted run")
                    other.extend(f"run {run}: {p}" for p in problems)
                failed |= counts["between"] > 0 or bool(other)
                print(f"| {db.name} | {name} ({duration:.2f} s) | {N} | {counts['mid']} | {counts['before']} | {counts['after']} | {counts['between']} | {'; '.join(other)[:300] or 'none'} |", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
