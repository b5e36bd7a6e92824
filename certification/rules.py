"""Rule evaluation: does an agent meet a skill group's requirements, and what is missing?

Facts come straight from training's tables (lesson completions and graded attempts), loaded for
a whole set of agents and skill groups in a fixed number of queries, so the skills matrix costs
the same for 5 agents as for 500.

- A quiz requirement is met by a graded (or expired, graded on saved answers) attempt with
  ``passed`` and, when the requirement names a minimum score, a percent at or above it. The
  *latest* such attempt is the evidence (its score and time), not the best one ever: a renewal
  or a retry after a rejection only has to pass again, not beat an earlier score.
- A curriculum requirement names a code through a version: completing that code at that version
  or any later published/retired one meets it. Completing means every lesson of the version done
  and every quiz of the version passed (at the requirement's minimum score, if any).
- Facts belong to the agent, not to a skill group: common curricula passed for one industry
  count for every skill group that requires them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from training.models import Attempt, Curriculum, Lesson, LessonCompletion, Quiz

from .models import Requirement, SkillGroup

FINISHED_STATES = (Attempt.State.GRADED, Attempt.State.EXPIRED)
# Estimated time of a quiz without a time limit, for readiness.
DEFAULT_QUIZ_MINUTES = 15


@dataclass
class QuizInfo:
    id: int
    title: str
    curriculum_id: int
    pass_mark: int
    minutes: int


@dataclass
class CurriculumInfo:
    id: int
    code: str
    version: int
    title: str
    status: str
    requires_recertification: bool = False
    published_at: datetime | None = None
    lessons: list[tuple[int, int]] = field(default_factory=list)  # (lesson id, minutes)
    quizzes: list[QuizInfo] = field(default_factory=list)


@dataclass
class PassedAttempt:
    id: int
    quiz_id: int
    percent: Decimal
    finished_at: datetime
    seconds: int
    number: int


@dataclass
class AgentFacts:
    lessons_done: dict[int, datetime] = field(default_factory=dict)  # lesson id -> when
    passes: dict[int, list[PassedAttempt]] = field(default_factory=lambda: defaultdict(list))
    attempts_count: dict[int, int] = field(default_factory=lambda: defaultdict(int))


@dataclass(frozen=True)
class Step:
    """A lesson to read or a quiz to take: what readiness links to."""

    kind: str  # "lesson" | "quiz"
    id: int
    title: str
    minutes: int


@dataclass
class ItemResult:
    requirement_id: int
    kind: str  # "curriculum" | "quiz"
    label: str
    met: bool
    done: int
    total: int
    minutes_missing: int
    unmeetable: bool = False
    evidence: dict = field(default_factory=dict)
    evidence_at: datetime | None = None
    # What is still to do on the newest published version (unmet, or met only by an older one).
    todo: list[Step] = field(default_factory=list)
    # The quizzes whose passing again gives this requirement fresh evidence (renewal, a retry).
    retake: list[Step] = field(default_factory=list)
    # Met by a version older than the newest published one of its curriculum.
    outdated: bool = False
    # When its quizzes were last passed (the earliest of their latest passes); None when the
    # requirement is met without a quiz (lessons only) or not met.
    tested_at: datetime | None = None


@dataclass
class GroupResult:
    skill_group: SkillGroup
    items: list[ItemResult]

    @property
    def met(self) -> bool:
        return bool(self.items) and all(i.met for i in self.items)

    @property
    def unmeetable(self) -> bool:
        return any(i.unmeetable and not i.met for i in self.items)

    @property
    def percent(self) -> int:
        done = sum(i.done for i in self.items)
        total = sum(i.total for i in self.items)
        return int(100 * done / total) if total else 0

    @property
    def minutes_missing(self) -> int:
        return sum(i.minutes_missing for i in self.items if not i.met)

    @property
    def evidence_at(self) -> datetime | None:
        times = [i.evidence_at for i in self.items if i.evidence_at]
        return max(times) if times else None

    def evidence(self) -> dict:
        return {"requirements": [i.evidence for i in self.items]}

    def retested_after(self, moment: datetime) -> bool:
        """Every quiz the evidence rests on was passed again after ``moment`` (a requirement
        without a quiz cannot be redone and is not asked to); with no quiz at all, any evidence
        after it."""
        tested = [i.tested_at for i in self.items if i.tested_at is not None]
        if tested:
            return min(tested) > moment
        return self.evidence_at is not None and self.evidence_at > moment

    @property
    def todo(self) -> list[Step]:
        """The pieces still missing, in requirement order."""
        return [step for i in self.items if not i.met for step in i.todo]

    @property
    def outdated_todo(self) -> list[Step]:
        """What the newest published versions still ask of an agent met by older ones."""
        return [step for i in self.items if i.met and i.outdated for step in i.todo]

    @property
    def retake(self) -> list[Step]:
        """The quizzes that give fresh evidence, once each."""
        seen, out = set(), []
        for step in (s for i in self.items for s in i.retake):
            if step.id not in seen:
                seen.add(step.id)
                out.append(step)
        return out


class Catalog:
    """A tenant's skill groups with requirements and every curriculum version they may rest on.

    Loaded in five queries whatever the number of skill groups."""

    def __init__(self, tenant, skill_groups=None):
        qs = skill_groups if skill_groups is not None else SkillGroup.objects.all()
        self.skill_groups: list[SkillGroup] = list(
            qs.for_tenant(tenant).prefetch_related(
                Prefetch(
                    "requirements",
                    queryset=Requirement.objects.for_tenant(tenant)
                    .select_related("curriculum", "quiz__curriculum")
                    .order_by("pk"),
                )
            )
        )
        codes = {
            r.curriculum.code
            for g in self.skill_groups
            for r in g.requirements.all()
            if r.curriculum
        }
        self.curricula: dict[int, CurriculumInfo] = {}
        self.by_code: dict[str, list[CurriculumInfo]] = defaultdict(list)
        for c in (
            Curriculum.objects.for_tenant(tenant)
            .filter(code__in=codes)
            .exclude(status=Curriculum.Status.DRAFT)
            .values(
                "id",
                "code",
                "version",
                "title",
                "status",
                "requires_recertification",
                "published_at",
            )
        ):
            info = CurriculumInfo(**c)
            self.curricula[info.id] = info
            self.by_code[info.code].append(info)
        for versions in self.by_code.values():
            versions.sort(key=lambda c: c.version)
        # Knowledge articles are reference material: only lessons count towards completion.
        self.lesson_titles: dict[int, str] = {}
        for lesson_id, curriculum_id, minutes, title in (
            Lesson.objects.for_tenant(tenant)
            .filter(curriculum_id__in=self.curricula, kind=Lesson.Kind.LESSON)
            .order_by("position", "pk")
            .values_list("id", "curriculum_id", "estimated_minutes", "title")
        ):
            self.curricula[curriculum_id].lessons.append((lesson_id, minutes))
            self.lesson_titles[lesson_id] = title
        quiz_ids = {r.quiz_id for g in self.skill_groups for r in g.requirements.all() if r.quiz_id}
        self.quizzes: dict[int, QuizInfo] = {}
        for q in (
            Quiz.objects.for_tenant(tenant)
            .filter(models_q_curriculum_or_ids(self.curricula, quiz_ids))
            .values("id", "title", "curriculum_id", "pass_mark_percent", "time_limit_minutes")
        ):
            info = QuizInfo(
                id=q["id"],
                title=q["title"],
                curriculum_id=q["curriculum_id"],
                pass_mark=q["pass_mark_percent"],
                minutes=q["time_limit_minutes"] or DEFAULT_QUIZ_MINUTES,
            )
            self.quizzes[info.id] = info
            if info.curriculum_id in self.curricula:
                self.curricula[info.curriculum_id].quizzes.append(info)

    @property
    def lesson_ids(self) -> set[int]:
        return {lid for c in self.curricula.values() for lid, _m in c.lessons}

    def load_facts(self, tenant, membership_ids) -> dict[int, AgentFacts]:
        """Lesson completions and finished attempts of these agents: two queries."""
        facts: dict[int, AgentFacts] = defaultdict(AgentFacts)
        for m_id, lesson_id, at in (
            LessonCompletion.objects.for_tenant(tenant)
            .filter(membership_id__in=membership_ids, lesson_id__in=self.lesson_ids)
            .values_list("membership_id", "lesson_id", "completed_at")
        ):
            facts[m_id].lessons_done[lesson_id] = at
        for row in (
            Attempt.objects.for_tenant(tenant)
            .filter(
                membership_id__in=membership_ids,
                quiz_id__in=self.quizzes,
                state__in=FINISHED_STATES,
            )
            .values(
                "id",
                "membership_id",
                "quiz_id",
                "percent",
                "passed",
                "started_at",
                "finished_at",
                "number",
            )
        ):
            agent = facts[row["membership_id"]]
            agent.attempts_count[row["quiz_id"]] += 1
            if row["passed"] and row["percent"] is not None:
                agent.passes[row["quiz_id"]].append(
                    PassedAttempt(
                        id=row["id"],
                        quiz_id=row["quiz_id"],
                        percent=row["percent"],
                        finished_at=row["finished_at"],
                        seconds=int((row["finished_at"] - row["started_at"]).total_seconds()),
                        number=row["number"],
                    )
                )
        return facts

    def evaluate(self, group: SkillGroup, facts: AgentFacts) -> GroupResult:
        items = []
        for req in group.requirements.all():
            if req.curriculum_id:
                items.append(self._curriculum_item(req, facts))
            else:
                items.append(self._quiz_item(req, facts))
        return GroupResult(skill_group=group, items=items)

    # --- one requirement --------------------------------------------------------------------

    def _latest_pass(self, quiz: QuizInfo, facts: AgentFacts, min_score) -> PassedAttempt | None:
        """The newest attempt that passed (at the minimum score, if any): the evidence."""
        good = [
            a for a in facts.passes.get(quiz.id, []) if min_score is None or a.percent >= min_score
        ]
        return max(good, key=lambda a: (a.finished_at, a.id)) if good else None

    @staticmethod
    def _quiz_step(quiz: QuizInfo) -> Step:
        return Step("quiz", quiz.id, quiz.title, quiz.minutes)

    def _todo(self, info: CurriculumInfo, lessons_done, quiz_passes) -> list[Step]:
        steps = [
            Step("lesson", lid, self.lesson_titles.get(lid, ""), minutes)
            for (lid, minutes), at in zip(info.lessons, lessons_done, strict=True)
            if not at
        ]
        steps += [
            self._quiz_step(q) for q, a in zip(info.quizzes, quiz_passes, strict=True) if not a
        ]
        return steps

    def _quiz_evidence(self, quiz: QuizInfo, best: PassedAttempt, facts: AgentFacts) -> dict:
        return {
            "kind": "quiz",
            "quiz_id": quiz.id,
            "title": quiz.title,
            "attempt_id": best.id,
            "percent": str(best.percent),
            "seconds": best.seconds,
            "minutes": round(best.seconds / 60),
            "attempts": facts.attempts_count.get(quiz.id, 0),
            "finished_at": best.finished_at.isoformat(),
        }

    def _quiz_item(self, req: Requirement, facts: AgentFacts) -> ItemResult:
        quiz = self.quizzes.get(req.quiz_id)
        label = req.quiz.title
        if quiz is None:  # its curriculum is still a draft
            return ItemResult(req.pk, "quiz", label, False, 0, 1, 0, unmeetable=True)
        latest = self._latest_pass(quiz, facts, req.min_score_percent)
        retired = req.quiz.curriculum.status == Curriculum.Status.RETIRED
        steps = [] if retired else [self._quiz_step(quiz)]
        if latest:
            return ItemResult(
                req.pk,
                "quiz",
                label,
                True,
                1,
                1,
                0,
                evidence=self._quiz_evidence(quiz, latest, facts),
                evidence_at=latest.finished_at,
                retake=steps,
                tested_at=latest.finished_at,
            )
        return ItemResult(
            req.pk,
            "quiz",
            label,
            False,
            0,
            1,
            quiz.minutes,
            unmeetable=retired,
            todo=steps,
        )

    def _curriculum_item(self, req: Requirement, facts: AgentFacts) -> ItemResult:
        required = req.curriculum
        versions = [c for c in self.by_code.get(required.code, []) if c.version >= required.version]
        label = required.title
        newest = None  # (done, total, minutes, todo, retake) of the newest published version
        for info in reversed(versions):  # newest first
            lessons_done = [facts.lessons_done.get(lid) for lid, _m in info.lessons]
            quiz_passes = [self._latest_pass(q, facts, req.min_score_percent) for q in info.quizzes]
            done = sum(1 for x in lessons_done if x) + sum(1 for x in quiz_passes if x)
            total = len(info.lessons) + len(info.quizzes)
            if info.status == Curriculum.Status.PUBLISHED and newest is None:
                todo = self._todo(info, lessons_done, quiz_passes)
                retake = [self._quiz_step(q) for q in info.quizzes]
                newest = (done, max(total, 1), sum(s.minutes for s in todo), todo, retake)
            if total and done == total:
                times = [t for t in lessons_done if t] + [a.finished_at for a in quiz_passes if a]
                evidence = {
                    "kind": "curriculum",
                    "code": info.code,
                    "version": info.version,
                    "title": info.title,
                    "lessons": len(info.lessons),
                    "completed_at": max(times).isoformat(),
                    "quizzes": [
                        self._quiz_evidence(q, a, facts)
                        for q, a in zip(info.quizzes, quiz_passes, strict=True)
                    ],
                }
                outdated = newest is not None and info.status != Curriculum.Status.PUBLISHED
                return ItemResult(
                    req.pk,
                    "curriculum",
                    label,
                    True,
                    total,
                    total,
                    0,
                    evidence=evidence,
                    evidence_at=max(times),
                    todo=newest[3] if outdated else [],
                    retake=newest[4] if newest else [],
                    outdated=outdated,
                    tested_at=min((a.finished_at for a in quiz_passes), default=None),
                )
        if newest is None:
            # No published version at or above the required one: nobody can meet this.
            return ItemResult(req.pk, "curriculum", label, False, 0, 1, 0, unmeetable=True)
        done, total, minutes, todo, _retake = newest
        return ItemResult(req.pk, "curriculum", label, False, done, total, minutes, todo=todo)


def models_q_curriculum_or_ids(curricula, quiz_ids):
    from django.db.models import Q

    return Q(curriculum_id__in=list(curricula)) | Q(id__in=list(quiz_ids))


def requirement_problem(*, curriculum: Curriculum | None, quiz: Quiz | None) -> str | None:
    """Why a requirement could never be met, or None. Used by forms and services to refuse it."""
    if curriculum is not None:
        newer = Curriculum.objects.filter(
            tenant_id=curriculum.tenant_id,
            code=curriculum.code,
            version__gte=curriculum.version,
            status=Curriculum.Status.PUBLISHED,
        ).exists()
        if not newer:
            return _(
                "“%(title)s” is retired or unpublished and has no published version at or above "
                "v%(version)s, so nobody could meet this requirement."
            ) % {"title": curriculum.title, "version": curriculum.version}
    if quiz is not None and quiz.curriculum.status != Curriculum.Status.PUBLISHED:
        return _(
            "The quiz “%(title)s” belongs to a curriculum version that is not published, so "
            "nobody could pass it."
        ) % {"title": quiz.title}
    return None
