"""Private services for fault runs: a PostgreSQL cluster and a Redis of our own (temp dirs, other
ports), Celery workers and beats, and a webhook receiver. The shared PostgreSQL (5432) and Redis
(6379) are never touched: every fault is injected into processes this module started."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.harness import BENCH_ENV, PYTHON, ROOT, Redis, free_port, start_redis

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
RESULTS = ROOT / "bench" / "results"


def log(message: str) -> None:
    print(f"[resilience {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _as_postgres(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    # PostgreSQL refuses to run as root: run its tools as the postgres user when we are root.
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


@dataclass
class PgCluster:
    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/skillgate"

    def pg_ctl(self, *args: str) -> None:
        _as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.directory / "log"), *args]
        )

    def start(self) -> None:
        self.pg_ctl("-w", "-t", "60", "-o", f"-p {self.port} -k {self.directory}", "start")

    def crash(self) -> None:
        """The crash: immediate shutdown, no checkpoint (recovery replays the WAL on start)."""
        self.pg_ctl("-m", "immediate", "stop")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.pg_ctl("-m", "fast", "-w", "stop")


def start_pg_cluster(base: Path) -> PgCluster:
    directory = base / "pg"
    directory.mkdir(parents=True)
    shutil.chown(directory, "postgres", "postgres") if os.geteuid() == 0 else None
    cluster = PgCluster(directory=directory, port=free_port())
    _as_postgres(
        [
            str(PG_BIN / "initdb"),
            "-D",
            str(cluster.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
        ]
    )
    with open(cluster.data / "postgresql.conf", "a") as conf:
        conf.write("listen_addresses = '127.0.0.1'\nfsync = on\nmax_connections = 100\n")
    cluster.start()
    _as_postgres(
        [
            str(PG_BIN / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            "postgres",
            "skillgate",
        ]
    )
    return cluster


@dataclass
class Stack:
    """Everything a fault run needs; ``env`` is the environment of its Django processes."""

    tmp: Path
    env: dict[str, str]
    pg: PgCluster | None = None
    redis: Redis | None = None
    procs: list[subprocess.Popen] = field(default_factory=list)

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return self.run_module(str(ROOT / "manage.py"), *args)

    def run_module(self, module: str, *args: str) -> subprocess.CompletedProcess:
        """``python -m module`` (or a script path) in this stack's environment."""
        command = [module] if module.endswith(".py") else ["-m", module]
        return subprocess.run(
            [PYTHON, *command, *args],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )

    def spawn(self, name: str, cmd: list[str], extra_env: dict | None = None) -> subprocess.Popen:
        logfile = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            cmd,
            env={**self.env, **(extra_env or {})},
            cwd=ROOT,
            stdout=logfile,
            stderr=logfile,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def worker(self, name: str = "worker", concurrency: int = 2) -> subprocess.Popen:
        return self.spawn(
            name,
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "skillgate",
                "worker",
                "-l",
                "info",
                "-c",
                str(concurrency),
                "-n",
                f"{name}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
        )

    def beat(self, name: str = "beat", extra_env: dict | None = None) -> subprocess.Popen:
        return self.spawn(
            name,
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "skillgate",
                "beat",
                "-l",
                "info",
                "-s",
                str(self.tmp / f"{name}-schedule"),
                "--pidfile",
                "",
            ],
            extra_env,
        )

    def kill(self, proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def close(self) -> None:
        for proc in reversed(self.procs):
            self.kill(proc)
        if self.redis:
            self.redis.stop()
        if self.pg:
            self.pg.stop()


@contextlib.contextmanager
def stack(*, own_postgres: bool, own_redis: bool = True, db_url: str | None = None):
    """Own Redis (and optionally own PostgreSQL cluster), migrated, in a temp dir."""
    tmp = Path(tempfile.mkdtemp(prefix="sg-resilience-"))
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
    env = {**os.environ, **BENCH_ENV, "PYTHONUNBUFFERED": "1"}
    s = Stack(tmp=tmp, env=env)
    try:
        if own_postgres:
            log("starting a private PostgreSQL cluster")
            s.pg = start_pg_cluster(tmp)
            env["DATABASE_URL"] = s.pg.url
        else:
            env["DATABASE_URL"] = db_url or "postgres://postgres@127.0.0.1:5432/sg_bench_res"
            _recreate(env["DATABASE_URL"])
        if own_redis:
            s.redis = start_redis(tmp / "redis")
            env["CELERY_BROKER_URL"] = s.redis.url
        log("migrating")
        s.manage("migrate", "-v0")
        yield s
    finally:
        s.close()
        keep = RESULTS / "raw" / "logs" / tmp.name
        keep.mkdir(parents=True, exist_ok=True)
        for path in tmp.glob("*.log"):
            shutil.copy(path, keep / path.name)
        shutil.rmtree(tmp, ignore_errors=True)


def _recreate(url: str) -> None:
    from bench.harness import recreate_database

    recreate_database(url)


# --- webhook receiver --------------------------------------------------------------------------


class Receiver:
    """Records every webhook delivery by its ``webhook-id``; answers 200 (idempotent receiving)."""

    def __init__(self, delay: float = 0.0):
        self.seen: Counter[str] = Counter()
        self.bodies: dict[str, dict] = {}
        self.delay = delay
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                wid = self.headers.get("webhook-id", "")
                if outer.delay:
                    time.sleep(outer.delay)
                outer.seen[wid] += 1
                with contextlib.suppress(ValueError):
                    outer.bodies[wid] = json.loads(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()


def wait_until(predicate, timeout: float, interval: float = 0.5) -> float | None:
    """Seconds until ``predicate()`` held, or None after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(interval)
    return None


def write_report(name: str, lines: list[str]) -> Path:
    """Append one script's findings to bench/results/raw/resilience-<name>.md."""
    raw = RESULTS / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    path = raw / f"resilience-{name}.md"
    path.write_text("\n".join(lines) + "\n")
    return path
