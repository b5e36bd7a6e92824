"""The benchmark data set, generated set-based on PostgreSQL (INSERT ... SELECT generate_series).

Shape at scale 1 (the issue's "contact-centre scale"): one tenant ``bench`` with 20,000 agents in
400 teams of 50 (each team with its lead), 10 industries, 40 curricula, 200 skill groups (each
requiring two curricula), 1,000,000 certifications in every state and 100,000 shift assignments.

Consistency with the scheduling guard: every assignment lies inside the window of an active
certification of the same agent and skill group, and no agent has two overlapping shifts.

Layout, for agent number ``a`` (0-based) and its ``k``-th certification (k < 50):
- skill group number ``(a + 4k) % 200``: every agent holds 50 distinct groups and every group is
  held by the 5,000 agents with ``a % 4 == group % 4``;
- group 0 (``sg000``, "the hot group") is active for all its 5,000 holders over the whole
  benchmark horizon: the eligibility answer has about 5,000 agents;
- ``k < 5`` are active and carry one 8-hour shift each on day ``1 + 3k``;
- the rest are spread over active (future expiry), expired, pending, rejected and revoked;
- exactly 1% of all certifications (10,000) are active but past their ``valid_until``: what the
  expiry sweep has to find.
No certification events are written (the events table is append-only and not needed here).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

TENANT_SLUG = "bench"
HOT_GROUP = "sg000"
PASSWORD = "bench-password"  # noqa: S105 - documented login of the generated users
N_SKILL_GROUPS = 200
N_CURRICULA = 40
N_INDUSTRIES = 10
TEAM_SIZE = 50
HORIZON_DAYS = 35  # every active, not-due certification is valid at least this far ahead


@dataclass
class Shape:
    agents: int = 20_000
    certs_per_agent: int = 50
    shifts_per_agent: int = 5
    due_fraction: float = 0.01

    @classmethod
    def scaled(cls, scale: float) -> Shape:
        return cls(agents=max(60, round(20_000 * scale)))

    @property
    def certifications(self) -> int:
        return self.agents * self.certs_per_agent

    @property
    def assignments(self) -> int:
        return self.agents * self.shifts_per_agent

    @property
    def due(self) -> int:
        return round(self.certifications * self.due_fraction)


@dataclass
class Report:
    shape: Shape
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


class Progress:
    """A one-line text progress bar on a stream (stderr by default)."""

    def __init__(self, total: int, stream=None, width: int = 30):
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.perf_counter()

    def advance(self, amount: int, label: str) -> None:
        self.done = min(self.total, self.done + amount)
        filled = round(self.width * self.done / self.total)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.perf_counter() - self.started
        self.stream.write(
            f"\r[{bar}] {100 * self.done / self.total:5.1f}% {elapsed:6.1f}s {label:<40}"
        )
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def base_time() -> datetime:
    """The reference instant: the start of the current hour, UTC."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def generate(shape: Shape, *, stream=None, log: Callable[[str], None] | None = None) -> Report:
    """Create the ``bench`` tenant with ``shape``. Refuses if it exists (use a fresh database)."""
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM tenants_tenant WHERE slug = %s", [TENANT_SLUG])
        if cur.fetchone():
            raise RuntimeError(
                f"tenant {TENANT_SLUG!r} exists already: generate into a fresh database"
            )
    report = Report(shape=shape)
    n_chunks = max(1, shape.agents // 1000)
    # weights: rough share of the work of each step, for one honest progress bar
    total_units = 2 + n_chunks * 3 + n_chunks + 2
    progress = Progress(total_units, stream=stream)
    started = time.perf_counter()
    base = base_time()
    password = make_password(PASSWORD)

    def step(name: str, units: int, func: Callable[[], None]) -> None:
        t0 = time.perf_counter()
        func()
        report.steps[name] = report.steps.get(name, 0.0) + time.perf_counter() - t0
        progress.advance(units, name)

    with transaction.atomic(), connection.cursor() as cur:
        ctx = _Context(cur=cur, shape=shape, base=base, password=password)
        step("tenant, content, skill groups", 1, ctx.create_catalogue)
        step("people and teams", 1, ctx.create_people)
        chunk = -(-shape.agents // n_chunks)
        for lo in range(0, shape.agents, chunk):
            hi = min(shape.agents, lo + chunk)
            step("certifications", 3, lambda lo=lo, hi=hi: ctx.create_certifications(lo, hi))
        # fresh statistics, or the guard trigger's per-row lookup plans a sequential scan
        step("analyze", 0, lambda: cur.execute("ANALYZE certification_certification"))
        for lo in range(0, shape.agents, chunk):
            hi = min(shape.agents, lo + chunk)
            step("shift assignments", 1, lambda lo=lo, hi=hi: ctx.create_assignments(lo, hi))
        step("1% due for expiry", 1, lambda: ensure_due(cur, ctx.tenant_id, shape.due))
        step("analyze", 1, ctx.analyze)
        report.counts = ctx.counts()
    report.seconds = time.perf_counter() - started
    if log:
        log(f"generated in {report.seconds:.1f}s: {report.counts}")
    return report


def tenant_id() -> int | None:
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM tenants_tenant WHERE slug = %s", [TENANT_SLUG])
        row = cur.fetchone()
    return row[0] if row else None


def ensure_due(cur, tenant: int, wanted: int) -> int:
    """Make exactly ``wanted`` active certifications past their window (if fewer are), choosing
    ones with no shift assignment and outside the hot group. Returns how many are due now."""
    cur.execute(
        "SELECT count(*) FROM certification_certification "
        "WHERE tenant_id = %s AND status = 'active' AND valid_until <= now()",
        [tenant],
    )
    due = cur.fetchone()[0]
    missing = wanted - due
    if missing > 0:
        cur.execute(
            """
            UPDATE certification_certification AS c
               SET valid_from = now() - interval '400 days',
                   valid_until = now() - interval '1 hour' * (1 + c.id %% 48)
             WHERE c.id IN (
                SELECT c2.id FROM certification_certification c2
                  JOIN certification_skillgroup g ON g.id = c2.skill_group_id
                 WHERE c2.tenant_id = %s AND c2.status = 'active' AND c2.valid_until > now()
                   AND g.code <> %s
                   AND NOT EXISTS (SELECT 1 FROM scheduling_shiftassignment s
                                    WHERE s.certification_id = c2.id)
                 ORDER BY c2.id DESC
                 LIMIT %s)
            """,
            [tenant, HOT_GROUP, missing],
        )
        due += cur.rowcount
    return due


@dataclass
class _Context:
    cur: object
    shape: Shape
    base: datetime
    password: str
    tenant_id: int = 0

    def create_catalogue(self) -> None:
        cur = self.cur
        cur.execute(
            "INSERT INTO tenants_tenant (slug, name, time_zone, default_language, active, "
            "created_at) VALUES (%s, %s, 'Asia/Shanghai', 'en', true, now()) RETURNING id",
            [TENANT_SLUG, "Benchmark Contact Centre"],
        )
        self.tenant_id = t = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO training_industry (tenant_id, code, name) "
            "SELECT %s, 'ind' || lpad(i::text, 2, '0'), 'Industry ' || i "
            "FROM generate_series(0, %s - 1) i",
            [t, N_INDUSTRIES],
        )
        # the last four curricula are common content (no industry)
        cur.execute(
            """
            INSERT INTO training_curriculum (tenant_id, industry_id, code, version, title,
                description, estimated_minutes, status, requires_recertification,
                published_at, created_at)
            SELECT %(t)s,
                   CASE WHEN i >= %(n)s - 4 THEN NULL ELSE
                     (SELECT id FROM training_industry
                       WHERE tenant_id = %(t)s
                         AND code = 'ind' || lpad((i %% %(ni)s)::text, 2, '0')) END,
                   'c' || lpad(i::text, 2, '0'), 1, 'Curriculum ' || i, '', 60 + i, 'published',
                   false, now(), now()
              FROM generate_series(0, %(n)s - 1) i
            """,
            {"t": t, "n": N_CURRICULA, "ni": N_INDUSTRIES},
        )
        cur.execute(
            """
            INSERT INTO certification_skillgroup (tenant_id, code, name, validity_days,
                requires_approval, reminder_schedule, target_headcount, external_id, active)
            SELECT %s, 'sg' || lpad(i::text, 3, '0'), 'Skill group ' || i, 365, (i %% 2 = 0),
                   ARRAY[60, 30, 7]::smallint[], 2000, 'WFM-' || i, true
              FROM generate_series(0, %s - 1) i
            """,
            [t, N_SKILL_GROUPS],
        )
        cur.execute(
            """
            INSERT INTO certification_skillgroup_industries (skillgroup_id, industry_id)
            SELECT g.id, ind.id
              FROM certification_skillgroup g
              JOIN training_industry ind ON ind.tenant_id = g.tenant_id
               AND (substr(ind.code, 4)::int = substr(g.code, 3)::int %% %(ni)s
                    OR (substr(g.code, 3)::int %% 5 = 0
                        AND substr(ind.code, 4)::int = (substr(g.code, 3)::int + 1) %% %(ni)s))
             WHERE g.tenant_id = %(t)s
            """,
            {"t": t, "ni": N_INDUSTRIES},
        )
        cur.execute(
            """
            INSERT INTO certification_requirement (tenant_id, skill_group_id, curriculum_id)
            SELECT g.tenant_id, g.id, c.id
              FROM certification_skillgroup g
              JOIN training_curriculum c ON c.tenant_id = g.tenant_id
               AND (substr(c.code, 2)::int = substr(g.code, 3)::int %% (%(n)s - 4)
                    OR substr(c.code, 2)::int = %(n)s - 4 + substr(g.code, 3)::int %% 4)
             WHERE g.tenant_id = %(t)s
            """,
            {"t": t, "n": N_CURRICULA},
        )

    def create_people(self) -> None:
        cur, t, n = self.cur, self.tenant_id, self.shape.agents
        n_teams = -(-n // TEAM_SIZE)
        user_cols = (
            "password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined, display_name"
        )
        cur.execute(
            f"""
            INSERT INTO tenants_user ({user_cols})
            SELECT %(pw)s, false, 'bench-agent-' || lpad(i::text, 6, '0'), 'Agent', i::text,
                   'bench-agent-' || i || '@example.com', false, true, now(), 'Agent ' || i
              FROM generate_series(0, %(n)s - 1) i
            UNION ALL
            SELECT %(pw)s, false, 'bench-lead-' || lpad(i::text, 4, '0'), 'Lead', i::text,
                   'bench-lead-' || i || '@example.com', false, true, now(), 'Lead ' || i
              FROM generate_series(0, %(teams)s - 1) i
            UNION ALL
            SELECT %(pw)s, false, 'bench-admin', 'Bench', 'Admin', 'bench-admin@example.com',
                   false, true, now(), 'Bench admin'
            """,
            {"pw": self.password, "n": n, "teams": n_teams},
        )
        cur.execute(
            "INSERT INTO tenants_team (tenant_id, name) SELECT %s, 'Team ' || lpad(i::text, 3, "
            "'0') FROM generate_series(0, %s - 1) i",
            [t, n_teams],
        )
        cur.execute(
            """
            INSERT INTO tenants_membership (tenant_id, user_id, role, employee_id, team_id,
                active, joined_at)
            SELECT %(t)s, u.id, 'agent', 'B' || substr(u.username, 13), tm.id, true, now()
              FROM tenants_user u
              JOIN tenants_team tm ON tm.tenant_id = %(t)s
               AND tm.name = 'Team ' || lpad((substr(u.username, 13)::int / %(size)s)::text, 3,
                                             '0')
             WHERE u.username LIKE 'bench-agent-%%'
            UNION ALL
            SELECT %(t)s, u.id, 'team_lead', 'L' || substr(u.username, 12), tm.id, true, now()
              FROM tenants_user u
              JOIN tenants_team tm ON tm.tenant_id = %(t)s
               AND tm.name = 'Team ' || lpad(substr(u.username, 12)::int::text, 3, '0')
             WHERE u.username LIKE 'bench-lead-%%'
            UNION ALL
            SELECT %(t)s, u.id, 'tenant_admin', 'ADMIN', NULL, true, now()
              FROM tenants_user u WHERE u.username = 'bench-admin'
            """,
            {"t": t, "size": TEAM_SIZE},
        )
        cur.execute(
            """
            UPDATE tenants_team tm SET lead_id = m.id
              FROM tenants_membership m
             WHERE m.tenant_id = %s AND m.role = 'team_lead' AND m.team_id = tm.id
            """,
            [t],
        )
        # Ordinal maps used by the bulk steps (agent number -> membership, group number -> id).
        cur.execute(
            "CREATE TEMP TABLE bench_agent ON COMMIT DROP AS "
            "SELECT substr(employee_id, 2)::int AS idx, id AS mid FROM tenants_membership "
            "WHERE tenant_id = %s AND role = 'agent'",
            [t],
        )
        cur.execute("CREATE UNIQUE INDEX ON bench_agent (idx)")
        cur.execute(
            "CREATE TEMP TABLE bench_group ON COMMIT DROP AS "
            "SELECT substr(code, 3)::int AS idx, id AS gid FROM certification_skillgroup "
            "WHERE tenant_id = %s",
            [t],
        )
        cur.execute("CREATE UNIQUE INDEX ON bench_group (idx)")
        cur.execute("ANALYZE bench_agent")
        cur.execute("ANALYZE bench_group")

    def create_certifications(self, lo: int, hi: int) -> None:
        # h: a cheap deterministic spread over 0..99 for the state of the "other" certifications.
        self.cur.execute(
            """
            INSERT INTO certification_certification (tenant_id, membership_id, skill_group_id,
                status, valid_from, valid_until, grace_until, evidence, decided_at,
                decision_comment, revoked_at, reminded_at, created_at, decided_by_id)
            SELECT %(t)s, a.mid, g.gid, x.status,
                   CASE WHEN x.status = 'pending' OR x.status = 'rejected' THEN NULL
                        WHEN x.status = 'active' THEN %(base)s - interval '200 days'
                        ELSE %(base)s - interval '500 days' END,
                   CASE WHEN x.status = 'pending' OR x.status = 'rejected' THEN NULL
                        WHEN x.status = 'active'
                          THEN %(base)s + interval '1 day' * (%(horizon)s + (a.idx * 7 + k) %% 330)
                        ELSE %(base)s - interval '1 day' * (1 + (a.idx + k) %% 120) END,
                   NULL, '{}'::jsonb,
                   CASE WHEN x.status IN ('pending') THEN NULL ELSE %(base)s - interval '200 days'
                   END,
                   CASE WHEN x.status = 'rejected' THEN 'Bench: not yet ready' ELSE '' END,
                   CASE WHEN x.status = 'revoked'
                        THEN %(base)s - interval '1 day' * (1 + (a.idx + k) %% 120) END,
                   NULL, %(base)s - interval '200 days', NULL
              FROM bench_agent a
              CROSS JOIN generate_series(0, %(per)s - 1) k
              JOIN bench_group g ON g.idx = (a.idx + 4 * k) %% %(ng)s
              CROSS JOIN LATERAL (SELECT CASE
                    WHEN g.idx = 0 OR k < %(shifts)s THEN 'active'
                    WHEN (a.idx * 31 + k * 17) %% 100 < 55 THEN 'active'
                    WHEN (a.idx * 31 + k * 17) %% 100 < 75 THEN 'expired'
                    WHEN (a.idx * 31 + k * 17) %% 100 < 85 THEN 'pending'
                    WHEN (a.idx * 31 + k * 17) %% 100 < 92 THEN 'rejected'
                    ELSE 'revoked' END AS status) x
             WHERE a.idx >= %(lo)s AND a.idx < %(hi)s
             ORDER BY a.idx, k
            """,
            {
                "t": self.tenant_id,
                "base": self.base,
                "horizon": HORIZON_DAYS,
                "per": self.shape.certs_per_agent,
                "ng": N_SKILL_GROUPS,
                "shifts": self.shape.shifts_per_agent,
                "lo": lo,
                "hi": hi,
            },
        )

    def create_assignments(self, lo: int, hi: int) -> None:
        day0 = self.base.replace(hour=0) + timedelta(hours=8)
        self.cur.execute(
            """
            INSERT INTO scheduling_shiftassignment (tenant_id, membership_id, skill_group_id,
                certification_id, starts_at, ends_at, status, cancel_reason, cancelled_at,
                source, external_ref, created_at)
            SELECT %(t)s, a.mid, g.gid, c.id,
                   %(day0)s + interval '1 day' * (1 + 3 * j),
                   %(day0)s + interval '1 day' * (1 + 3 * j) + interval '8 hours',
                   'scheduled', '', NULL, 'api', 'bench-' || a.idx || '-' || j, now()
              FROM bench_agent a
              CROSS JOIN generate_series(0, %(per)s - 1) j
              JOIN bench_group g ON g.idx = (a.idx + 4 * j) %% %(ng)s
              JOIN certification_certification c
                ON c.tenant_id = %(t)s AND c.membership_id = a.mid AND c.skill_group_id = g.gid
               AND c.status = 'active'
             WHERE a.idx >= %(lo)s AND a.idx < %(hi)s
            """,
            {
                "t": self.tenant_id,
                "day0": day0,
                "per": self.shape.shifts_per_agent,
                "ng": N_SKILL_GROUPS,
                "lo": lo,
                "hi": hi,
            },
        )

    def analyze(self) -> None:
        for table in (
            "tenants_user",
            "tenants_membership",
            "certification_certification",
            "scheduling_shiftassignment",
        ):
            self.cur.execute(f"ANALYZE {table}")

    def counts(self) -> dict[str, int]:
        out = {}
        for label, sql in {
            "agents": "SELECT count(*) FROM tenants_membership WHERE tenant_id = %s "
            "AND role = 'agent'",
            "teams": "SELECT count(*) FROM tenants_team WHERE tenant_id = %s",
            "skill_groups": "SELECT count(*) FROM certification_skillgroup WHERE tenant_id = %s",
            "curricula": "SELECT count(*) FROM training_curriculum WHERE tenant_id = %s",
            "certifications": "SELECT count(*) FROM certification_certification "
            "WHERE tenant_id = %s",
            "assignments": "SELECT count(*) FROM scheduling_shiftassignment WHERE tenant_id = %s",
        }.items():
            self.cur.execute(sql, [self.tenant_id])
            out[label] = self.cur.fetchone()[0]
        self.cur.execute(
            "SELECT status, count(*) FROM certification_certification WHERE tenant_id = %s "
            "GROUP BY status ORDER BY status",
            [self.tenant_id],
        )
        for status, count in self.cur.fetchall():
            out[f"certifications_{status}"] = count
        self.cur.execute(
            "SELECT count(*) FROM certification_certification WHERE tenant_id = %s "
            "AND status = 'active' AND valid_until <= now()",
            [self.tenant_id],
        )
        out["certifications_due"] = self.cur.fetchone()[0]
        return out
