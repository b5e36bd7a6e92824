"""Running things to measure: the benchmark database, gunicorn, wrk and a small async client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/sg_bench"

# The production-like settings of a benchmark process (DEBUG off, no HTTPS redirect on loopback;
# the resilience runs' webhook receivers listen on 127.0.0.1).
BENCH_ENV = {
    "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-0123456789",
    "AUDIT_CHAIN_KEY": "bench-only-audit-key-0123456789abcdefghijklmnopqrstuvwxyz-0123456789",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false",
    "SECURE_HSTS_SECONDS": "0",
    "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "bench.settings",
}


def configure_environment(db_url: str, broker_url: str | None) -> dict[str, str]:
    """Set the benchmark environment in this process (before Django is set up) and return it
    for child processes."""
    env = {**BENCH_ENV, "DATABASE_URL": db_url}
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    for key, value in env.items():
        os.environ[key] = value
    if not broker_url:
        os.environ.pop("CELERY_BROKER_URL", None)
    return dict(os.environ)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- database -------------------------------------------------------------------------------


def recreate_database(db_url: str) -> None:
    """Drop and create the benchmark database (never any other)."""
    import psycopg

    base, _, name = db_url.rpartition("/")
    if not name.startswith("sg_bench"):
        raise RuntimeError(f"refusing to recreate {name!r}: benchmark databases are sg_bench*")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(*args: str, env: dict[str, str], check: bool = True, stream: bool = False):
    cmd = [PYTHON, str(ROOT / "manage.py"), *args]
    if stream:
        return subprocess.run(cmd, env=env, cwd=ROOT, check=check)
    return subprocess.run(cmd, env=env, cwd=ROOT, check=check, capture_output=True, text=True)


# --- gunicorn -------------------------------------------------------------------------------


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    kind: str
    workers: int
    threads: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def worker_rss_mb(self) -> list[float]:
        out = []
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        out.append(int(line.split()[1]) / 1024)
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


_collected: set[str] = set()


def collectstatic(env: dict[str, str]) -> None:
    """DEBUG is off in benchmark runs, so pages need the hashed static manifest (once a run)."""
    if env.get("DATABASE_URL", "") not in _collected:
        manage("collectstatic", "--noinput", "-v0", env=env)
        _collected.add(env.get("DATABASE_URL", ""))


def start_gunicorn(
    env: dict[str, str], *, kind: str = "sync", workers: int = 2, threads: int = 4, log=None
) -> Server:
    collectstatic(env)
    port = free_port()
    cmd = [
        PYTHON,
        "-m",
        "gunicorn",
        "skillgate.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        kind,
        "--timeout",
        "120",
        "--backlog",
        "2048",
    ]
    if kind == "gthread":
        # A gthread worker accepts every connection it can and then shares one core among
        # them; capped at its threads, the benchmark's keep-alive connections spread evenly
        # over the workers instead of piling on whichever woke first (uncapped, the same view
        # measured 27-42% of the DRF view in one round and 141-163% in the next).
        cmd += ["--threads", str(threads), "--worker-connections", str(threads)]
    logfile = open(ROOT / "bench" / "results" / "raw" / f"gunicorn-{kind}.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=logfile, stderr=logfile)
    server = Server(proc=proc, port=port, kind=kind, workers=workers, threads=threads)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}; see raw/gunicorn log")
        try:
            with urllib.request.urlopen(f"{server.base_url}/healthz/", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    # let every worker boot and import the project
                    time.sleep(1.0)
                    if log:
                        log(f"gunicorn {kind} x{workers} on :{port} ready")
                    return server
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise RuntimeError("gunicorn did not answer /healthz/ within 60 s")


# --- wrk --------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNITS[m.group(2)]


@dataclass
class HttpStats:
    requests: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    non_2xx: int = 0
    tool: str = "wrk"
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "errors": self.errors,
            "non_2xx": self.non_2xx,
            "tool": self.tool,
            **self.extra,
        }


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def wrk(
    url: str,
    *,
    seconds: float,
    connections: int = 8,
    threads: int = 1,
    headers: dict[str, str] | None = None,
) -> HttpStats:
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s"]
    cmd += ["--latency", "--timeout", "30s"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> HttpStats:
    """Read wrk's ``--latency`` report."""
    stats = HttpStats()
    if m := re.search(r"(\d+) requests in", out):
        stats.requests = int(m.group(1))
    if m := re.search(r"Requests/sec:\s+([\d.]+)", out):
        stats.rps = float(m.group(1))
    if m := re.search(r"^\s+50%\s+(\S+)", out, re.M):
        stats.p50_ms = _ms(m.group(1))
    if m := re.search(r"^\s+99%\s+(\S+)", out, re.M):
        stats.p99_ms = _ms(m.group(1))
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        stats.non_2xx = int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        stats.errors = sum(int(x) for x in m.groups())
    return stats


# --- a small asyncio HTTP/1.1 client (one connection per request, as gunicorn sync closes) -----


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    ms: float

    def json(self):
        return json.loads(self.body or b"null")


async def http(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 60.0,
) -> Response:
    started = time.perf_counter()
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    try:
        data = body or b""
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Connection: close",
            f"Content-Length: {len(data)}",
        ]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    head, _, payload = raw.partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    status = int(head_lines[0].split()[1]) if head_lines and head_lines[0] else 0
    hdrs = {}
    for line in head_lines[1:]:
        k, _, v = line.partition(":")
        hdrs.setdefault(k.strip().lower(), v.strip())
    if hdrs.get("transfer-encoding", "").lower() == "chunked":
        payload = _unchunk(payload)
    return Response(status, hdrs, payload, (time.perf_counter() - started) * 1000)


def _unchunk(data: bytes) -> bytes:
    out, pos = bytearray(), 0
    while True:
        end = data.find(b"\r\n", pos)
        size = int(data[pos:end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += data[end + 2 : end + 2 + size]
        pos = end + 2 + size + 2


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summarise(latencies_ms: list[float]) -> dict:
    return {
        "count": len(latencies_ms),
        "p50_ms": round(percentile(latencies_ms, 50), 2),
        "p99_ms": round(percentile(latencies_ms, 99), 2),
        "mean_ms": round(statistics.fmean(latencies_ms), 2) if latencies_ms else 0.0,
    }


def timed(func, repeat: int) -> list[float]:
    """Wall time of ``func()`` in milliseconds, ``repeat`` times."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def python_speed_ms(rounds: int = 5) -> float:
    """Median time of a fixed Python workload (JSON round trips and string building over 2,000
    small dicts; about 100 ms on the machines of 2026-11). The same code in every run, so that
    figures of runs on different machines, or of one machine at different moments (its
    neighbours vary), can be told apart from changes in the code."""
    data = [
        {"id": i, "name": f"agent {i}", "groups": list(range(i % 7)), "score": i / 7}
        for i in range(2000)
    ]
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(10):
            rows = json.loads(json.dumps(data))
            "".join(f"{r['id']}:{r['name']}:{len(r['groups'])};" for r in rows)
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1)


def vacuum_like_autovacuum() -> list[str]:
    """Vacuum and analyse the tables autovacuum would have by now: dead rows above 50 + 20% of
    the live ones (PostgreSQL's default thresholds). This machine's PostgreSQL runs with
    autovacuum off (a CI setting), so without this every benchmark would run on the dead rows
    of the ones before it (the bulk benchmark leaves 120,000 dead shift rows) and a reused data
    set would grow slower run after run; production runs autovacuum. Returns the tables."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT relname FROM pg_stat_user_tables "
            "WHERE n_dead_tup > 50 + 0.2 * n_live_tup ORDER BY relname"
        )
        tables = [name for (name,) in cur.fetchall()]
        for name in tables:
            # VACUUM cannot run in a transaction: Django's connection is in autocommit here.
            cur.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(name)}")
    return tables


# --- a private Redis (never the shared one) -----------------------------------------------------


@dataclass
class Redis:
    proc: subprocess.Popen
    port: int
    directory: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def start_redis(directory: Path, port: int | None = None) -> Redis:
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    cmd = [
        "redis-server",
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(directory),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    redis = Redis(proc=proc, port=port, directory=directory)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if redis.ping():
            return redis
        time.sleep(0.05)
    redis.stop()
    raise RuntimeError("redis-server did not start")
