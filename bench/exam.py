"""Exam hall: many trainees starting a quiz, autosaving and submitting against gunicorn, then a
check that nothing was lost and nothing graded twice.

Each simulated trainee is a coroutine speaking HTTP/1.1 to gunicorn like the browser page does:
GET the quiz page, POST "start" (form with CSRF token), GET the attempt page, then one autosave
(JSON POST) every few seconds per question, re-answering one question, and finally a submit sent
twice at once (a double click). Sessions are made in advance with ``Client.force_login`` so the
run measures the exam, not password hashing. The questions dealt to an attempt are read from the
database (what the page shows), so the client never parses HTML.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field

from .harness import Server, http, start_gunicorn, summarise
from .results import Result, verdict

TITLE = "exam hall, 500 trainees"
TARGET = (
    "0 lost answers, 0 double grades, 0 server errors; autosave p99 <= 300 ms, submit p99 <= 1 s; "
    "web worker RSS < 200 MB"
)
QUIZ_TITLE = "Bench exam"
N_QUESTIONS = 10


def ensure_quiz(tenant_id: int):
    """A published quiz of 10 single-choice questions (4 choices each) in the bench tenant."""
    from training.models import Choice, Curriculum, Question, QuestionCategory, Quiz, QuizQuestion

    quiz = Quiz.objects.filter(tenant_id=tenant_id, title=QUIZ_TITLE).first()
    if quiz:
        return quiz
    curriculum = Curriculum.objects.filter(tenant_id=tenant_id, status="published").order_by(
        "code"
    )[0]
    category, _ = QuestionCategory.objects.get_or_create(tenant_id=tenant_id, name=QUIZ_TITLE)
    quiz = Quiz.objects.create(
        tenant_id=tenant_id,
        curriculum=curriculum,
        title=QUIZ_TITLE,
        pass_mark_percent=60,
        time_limit_minutes=30,
        max_attempts=None,
        cooldown_minutes=0,
    )
    for n in range(N_QUESTIONS):
        q = Question.objects.create(
            tenant_id=tenant_id,
            category=category,
            qtype="single",
            text=f"Bench question {n + 1}: which greeting is correct?",
            points=1,
        )
        for pos in range(4):
            Choice.objects.create(
                tenant_id=tenant_id,
                question=q,
                position=pos,
                text=f"Answer {pos + 1}",
                fraction=1 if pos == 0 else 0,
            )
        QuizQuestion.objects.create(tenant_id=tenant_id, quiz=quiz, question=q, position=n)
    return quiz


def make_sessions(tenant_id: int, count: int, quiz_id: int) -> list[tuple[int, str]]:
    """(membership id, session cookie) of ``count`` agents who never sat the quiz, so every run
    starts from fresh trainees and the checks count only this run's attempts."""
    from django.db.models import Exists, OuterRef
    from django.test import Client

    from tenants.models import Membership
    from training.models import Attempt

    members = list(
        Membership.objects.filter(tenant_id=tenant_id, role="agent")
        .exclude(Exists(Attempt.objects.filter(membership=OuterRef("pk"), quiz_id=quiz_id)))
        .select_related("user")
        .order_by("-employee_id")[:count]
    )
    out = []
    for m in members:
        c = Client()
        c.force_login(m.user, backend="django.contrib.auth.backends.ModelBackend")
        session = c.session
        session["tenant_id"] = tenant_id
        session.save()
        out.append((m.pk, c.cookies["sessionid"].value))
    return out


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    answered_at: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    saved: dict[int, dict[int, int]] = field(default_factory=dict)  # attempt -> question -> choice
    submits: dict[int, list[dict]] = field(default_factory=lambda: defaultdict(list))
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    retried: int = 0
    retries: int = 0  # how often a client repeats a request that failed (0 in the benchmark)
    unfinished: int = 0
    unacknowledged: int = 0  # autosaves the client never got a 200 for (shown as unsaved)
    load_started: float = 0.0  # perf_counter() when the trainees were let in

    def record(self, kind: str, response) -> None:
        self.requests += 1
        self.latencies[kind].append(response.ms)
        self.answered_at[kind].append(time.monotonic())
        self.statuses[kind][response.status] += 1

    async def call(self, kind: str, port: int, method: str, path: str, **kw):
        """One request; with ``retries`` a 5xx or a refused connection is repeated after 1 s."""
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                r = await http(port, method, path, **kw)
            except OSError:
                self.requests += 1
                self.statuses[kind][0] += 1
                if last:
                    raise
                self.retried += 1
                await asyncio.sleep(1)
                continue
            self.record(kind, r)
            if r.status >= 500 and not last:
                self.retried += 1
                await asyncio.sleep(1)
                continue
            return r
        raise AssertionError("unreachable")

    @property
    def server_errors(self) -> int:
        return sum(
            n for per in self.statuses.values() for s, n in per.items() if s >= 500 or s == 0
        )


async def trainee(
    port: int,
    quiz_id: int,
    session: str,
    tally: Tally,
    dealt_of,
    interval: float,
    rng: random.Random,
    ramp: float,
) -> None:
    csrf = secrets.token_hex(16)  # 32 characters: a valid unmasked CSRF secret
    cookies = f"sessionid={session}; csrftoken={csrf}"
    base = {"Cookie": cookies, "X-CSRFToken": csrf}
    await asyncio.sleep(rng.uniform(0, ramp))
    try:
        await tally.call("quiz page", port, "GET", f"/training/quizzes/{quiz_id}/", headers=base)
        r = await tally.call(
            "start",
            port,
            "POST",
            f"/training/quizzes/{quiz_id}/",
            headers={**base, "Content-Type": "application/x-www-form-urlencoded"},
            body=f"csrfmiddlewaretoken={csrf}".encode(),
        )
        location = r.headers.get("location", "")
        if r.status != 302 or "/attempts/" not in location:
            tally.failures.append(f"start answered {r.status} {location}")
            return
        attempt_id = int(location.rstrip("/").split("/")[-1])
        await tally.call(
            "attempt page", port, "GET", f"/training/attempts/{attempt_id}/", headers=base
        )
        dealt = await dealt_of(attempt_id)
        saved = tally.saved.setdefault(attempt_id, {})
        revision = None
        plan = list(dealt) + [dealt[0]]  # the first question is answered twice
        for item in plan:
            await asyncio.sleep(rng.uniform(0.5 * interval, 1.5 * interval))
            choice = rng.choice(item["choices"])["id"]
            r = await tally.call(
                "autosave",
                port,
                "POST",
                f"/training/attempts/{attempt_id}/save/",
                headers={**base, "Content-Type": "application/json"},
                body=json.dumps({"question": item["id"], "response": {"choice": choice}}).encode(),
            )
            if r.status == 200:
                saved[item["id"]] = choice
                revision = r.json()["revision"]
            else:
                tally.unacknowledged += 1
        await asyncio.sleep(rng.uniform(0.5 * interval, 1.5 * interval))
        body = json.dumps({"answers": {}, "revision": revision}).encode()
        headers = {**base, "Content-Type": "application/json"}
        path = f"/training/attempts/{attempt_id}/submit/"
        first, second = await asyncio.gather(
            tally.call("submit", port, "POST", path, headers=headers, body=body),
            tally.call("submit", port, "POST", path, headers=headers, body=body),
        )
        for r in (first, second):
            if r.status == 200:
                tally.submits[attempt_id].append(r.json())
    except (OSError, TimeoutError, ValueError, KeyError) as exc:
        tally.failures.append(f"{type(exc).__name__}: {exc}")


async def _exam(
    server: Server,
    quiz_id: int,
    sessions,
    db_url: str,
    seconds: float,
    retries: int = 0,
    bound: float = 0,
    alone: Tally | None = None,
    alone_sessions=(),
) -> Tally:
    """The exam hall: every trainee of ``sessions`` at once. First, if ``alone`` is given, the
    trainees of ``alone_sessions`` sit the quiz one after another with no pauses, recording into
    ``alone``: what each request costs when nothing else runs (the server's capacity)."""
    import psycopg

    tally = Tally(retries=retries)
    holder = {"conn": await psycopg.AsyncConnection.connect(db_url, autocommit=True)}
    lock = asyncio.Lock()

    async def dealt_of(attempt_id: int) -> list[dict]:
        # what the attempt page shows; reconnects if the database went away (fault runs)
        async with lock:
            for attempt in range(30):
                try:
                    if holder["conn"].closed:
                        holder["conn"] = await psycopg.AsyncConnection.connect(
                            db_url, autocommit=True
                        )
                    cur = await holder["conn"].execute(
                        "SELECT dealt FROM training_attempt WHERE id = %s", [attempt_id]
                    )
                    row = await cur.fetchone()
                    return row[0]
                except psycopg.OperationalError:
                    if attempt == 29:
                        raise
                    with contextlib.suppress(Exception):
                        await holder["conn"].close()
                    await asyncio.sleep(1)
        raise AssertionError("unreachable")

    if alone is not None:
        for _m, session in alone_sessions:
            await trainee(server.port, quiz_id, session, alone, dealt_of, 0, random.Random(7), 0)
    tally.load_started = time.perf_counter()
    ramp, interval = pacing(seconds)
    rng = random.Random(6)
    tasks = [
        asyncio.ensure_future(
            trainee(
                server.port,
                quiz_id,
                s,
                tally,
                dealt_of,
                interval,
                random.Random(rng.random()),
                ramp,
            )
        )
        for _m, s in sessions
    ]
    try:
        # bounded: trainees still busy after ``bound`` seconds are stopped and reported
        _done, pending = await asyncio.wait(tasks, timeout=bound or None)
        for task in pending:
            task.cancel()
        if pending:
            tally.unfinished = len(pending)
            tally.failures.append(f"{len(pending)} trainees had not finished after {bound:.0f} s")
            await asyncio.gather(*pending, return_exceptions=True)
    finally:
        await holder["conn"].close()
    return tally


def verify(tally: Tally, quiz_id: int, membership_ids: list[int]) -> dict:
    """Every acknowledged autosave is in the database; every attempt graded exactly once."""
    from training.models import Attempt, AttemptAnswer

    lost = 0
    for attempt_id, answers in tally.saved.items():
        stored = {
            a.question_id: a.response
            for a in AttemptAnswer.objects.filter(attempt_id=attempt_id).only(
                "question_id", "response"
            )
        }
        for question_id, choice in answers.items():
            got = stored.get(question_id) or {}
            if str(got.get("choice")) != str(choice):
                lost += 1
    attempts = list(
        Attempt.objects.filter(quiz_id=quiz_id, membership_id__in=membership_ids).values(
            "id", "membership_id", "state", "score", "finished_at"
        )
    )
    per_member = defaultdict(list)
    for a in attempts:
        per_member[a["membership_id"]].append(a)
    double = sum(
        1
        for rows in per_member.values()
        if len([r for r in rows if r["state"] != "in_progress"]) > 1
    )
    disagreeing = sum(
        1
        for answers in tally.submits.values()
        if len({(a.get("state"), a.get("score")) for a in answers}) > 1
    )
    ungraded = sum(1 for a in attempts if a["state"] == "in_progress")
    return {
        "attempts": len(attempts),
        "answers_acknowledged": sum(len(v) for v in tally.saved.values()),
        "lost_answers": lost,
        "double_grades": double + disagreeing,
        "ungraded_attempts": ungraded,
    }


ALONE_TRAINEES = 20  # sit the quiz one after another before the load, to measure its cost
REQUEST_KINDS = ("quiz page", "start", "attempt page", "autosave", "submit")


def pacing(seconds: float) -> tuple[float, float]:
    """How an exam hall of about ``seconds`` paces its trainees: they arrive spread over the
    ramp (seconds) and save an answer about every interval (seconds)."""
    return min(10.0, seconds / 4), max(0.5, seconds / (N_QUESTIONS + 3))


def _demand(served_alone: dict, trainees: int, seconds: float) -> dict:
    """Work the load asks of the server, in worker-seconds per second, from the requests' cost
    served alone: opening (quiz page, start, attempt page) at the ramp's arrival rate, and the
    autosaves of all trainees at their pace. Above the workers' count, requests queue."""
    if not all(k in served_alone for k in ("quiz page", "start", "attempt page", "autosave")):
        return {}
    ramp, interval = pacing(seconds)
    opening_ms = sum(served_alone[k]["p50_ms"] for k in ("quiz page", "start", "attempt page"))
    return {
        "ramp_s": ramp,
        "opening": round(trainees / ramp * opening_ms / 1000, 3),
        "autosave": round(trainees / interval * served_alone["autosave"]["p50_ms"] / 1000, 3),
    }


def _autosave_phases(tally: Tally) -> dict:
    """Autosave latency while trainees were still opening the quiz (until the last attempt page
    was answered) and afterwards: where the tail comes from."""
    opened = tally.answered_at.get("attempt page") or []
    if not opened or not tally.latencies.get("autosave"):
        return {}
    until = max(opened)
    pairs = list(zip(tally.answered_at["autosave"], tally.latencies["autosave"], strict=True))
    during = [ms for at, ms in pairs if at <= until]
    after = [ms for at, ms in pairs if at > until]
    return {
        "during_opening": summarise(during) if during else None,
        "after_opening": summarise(after) if after else None,
    }


def bench_exam_hall(
    ctx,
    *,
    trainees: int,
    seconds: float,
    kind: str = "sync",
    workers: int = 2,
    bound: float = 480,
) -> list[Result]:
    from django.urls import NoReverseMatch, reverse

    key = f"exam_{kind}"
    title = f"exam hall, {trainees} trainees ({kind}, {workers} workers)"
    try:
        reverse("training:attempt-save", kwargs={"pk": 1})
        reverse("training:attempt-submit", kwargs={"pk": 1})
        reverse("training:quiz", kwargs={"pk": 1})
    except NoReverseMatch:
        return [
            Result.not_measured(
                key, title, TARGET, "the attempt pages (start, autosave, submit) have not landed"
            )
        ]
    quiz = ensure_quiz(ctx.tenant_id)
    # the probe's trainees are others than the measured ones (their attempts are not checked)
    probe = make_sessions(ctx.tenant_id, trainees + ALONE_TRAINEES, quiz.pk)
    sessions, probe = probe[:trainees], probe[trainees:]
    alone = Tally()
    server = start_gunicorn(ctx.env, kind=kind, workers=workers, log=ctx.log)
    try:
        started = time.perf_counter()
        tally = asyncio.run(
            _exam(
                server,
                quiz.pk,
                sessions,
                ctx.env["DATABASE_URL"],
                seconds,
                bound=bound,
                alone=alone,
                alone_sessions=probe,
            )
        )
        duration = time.perf_counter() - (tally.load_started or started)
        rss = server.worker_rss_mb()
    finally:
        server.stop()
    checks = verify(tally, quiz.pk, [m for m, _s in sessions])
    per_kind = {k: summarise(v) for k, v in tally.latencies.items()}
    served_alone = {k: summarise(v) for k, v in alone.latencies.items()}
    demand = _demand(served_alone, trainees, seconds)
    phases = _autosave_phases(tally)
    statuses = {k: dict(v) for k, v in tally.statuses.items()}
    autosave = per_kind.get("autosave", {"p50_ms": 0, "p99_ms": 0, "count": 0})
    submit = per_kind.get("submit", {"p50_ms": 0, "p99_ms": 0, "count": 0})
    max_rss = max(rss) if rss else 0.0
    ok = (
        checks["lost_answers"] == 0
        and checks["double_grades"] == 0
        and tally.server_errors == 0
        and not tally.failures
        and autosave["p99_ms"] <= 300
        and submit["p99_ms"] <= 1000
        and max_rss < 200
        and checks["attempts"] == len(sessions)
        and checks["ungraded_attempts"] == 0
    )
    missed = []
    if autosave["p99_ms"] > 300:
        missed.append(f"autosave p99 {autosave['p99_ms']:.0f} ms > 300")
    if submit["p99_ms"] > 1000:
        missed.append(f"submit p99 {submit['p99_ms']:.0f} ms > 1000")
    if tally.server_errors:
        missed.append(f"{tally.server_errors} server errors")
    if tally.failures:
        missed.append(f"{len(tally.failures)} client failures (first: {tally.failures[0]})")
    if checks["attempts"] != len(sessions):
        missed.append(f"{checks['attempts']} attempts for {len(sessions)} trainees")
    notes = (
        f"{tally.requests:,} requests in {duration:.0f} s "
        f"({tally.requests / duration:,.0f} req/s); "
        f"{checks['answers_acknowledged']:,} acknowledged autosaves, "
        f"{checks['lost_answers']} lost; "
        f"{checks['attempts']} attempts, {checks['double_grades']} double grades, "
        f"{checks['ungraded_attempts']} ungraded; worker RSS after the run "
        f"{', '.join(f'{x:.0f}' for x in rss)} MB; p50/p99 per request: "
        + "; ".join(f"{k} {v['p50_ms']:.0f}/{v['p99_ms']:.0f} ms" for k, v in per_kind.items())
    )
    for label, phase in (
        ("while trainees were still opening the quiz", phases.get("during_opening")),
        ("after the last attempt page", phases.get("after_opening")),
    ):
        if phase:
            notes += (
                f"; autosave {label}: p50/p99 {phase['p50_ms']:.0f}/{phase['p99_ms']:.0f} ms "
                f"({phase['count']:,} saves)"
            )
    if served_alone:
        notes += (
            f"; served alone (p50 of {len(probe)} trainees in turn, before the load): "
            + ", ".join(
                f"{k} {served_alone[k]['p50_ms']:.1f} ms"
                for k in REQUEST_KINDS
                if k in served_alone
            )
        )
    if alone.failures:
        notes += f"; the served-alone probe failed: {alone.failures[0]}"
    if demand:
        notes += (
            f"; so opening the quiz asks {demand['opening']:.2f} worker-seconds per second "
            f"({trainees} trainees over a {demand['ramp_s']:.0f} s ramp) and autosaving "
            f"{demand['autosave']:.2f} once all are in, of {workers} workers on cores that "
            "PostgreSQL and the load generator share"
        )
    if missed:
        notes += "; missed: " + ", ".join(missed)
        notes += (
            "; the tail is the queue of the opening burst (autosave phases above); to close: "
            "about half of every opening request (profiled, nothing dominates: the attempt "
            "page spends about half its time in its template, starting makes 13 statements of "
            "about 1 ms, every page reads the session, user and memberships; "
            "bench/results/latest.md), or more web cores than this shared 2-core machine "
            "(Moodle's reference used 12 web vCPUs for 2,000 users)"
        )
    return [
        Result(
            key=key,
            title=title,
            target=TARGET,
            status=verdict(ok),
            measured=f"autosave p50 {autosave['p50_ms']:.0f} ms / p99 {autosave['p99_ms']:.0f} ms; "
            f"submit p50 {submit['p50_ms']:.0f} ms / p99 {submit['p99_ms']:.0f} ms; "
            f"{checks['lost_answers']} lost, {checks['double_grades']} double grades, "
            f"{tally.server_errors} server errors; RSS max {max_rss:.0f} MB",
            notes=notes,
            figures={
                "latency": per_kind,
                "served_alone": served_alone,
                "demand_worker_seconds_per_second": demand,
                "autosave_phases": phases,
                "statuses": statuses,
                "checks": checks,
                "worker_rss_mb": rss,
                "duration_s": round(duration, 1),
                "requests": tally.requests,
                "failures": tally.failures[:20],
            },
            chart={"unit": "ms (autosave p99)", "measured": autosave["p99_ms"], "target": 300.0},
        ),
        Result(
            key=f"rss_{kind}",
            title=f"web worker memory after the exam hall ({kind})",
            target="under 200 MB resident per worker",
            status=verdict(bool(rss) and max_rss < 200),
            measured=", ".join(f"{x:.0f} MB" for x in rss) or "no worker found",
            notes=f"VmRSS of each gunicorn worker right after {trainees} trainees finished",
            figures={"worker_rss_mb": rss},
            chart={"unit": "MB", "measured": max_rss, "target": 200.0},
        ),
    ]
