"""Training content, question bank, quizzes, enrollments, progress and attempts."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tenants.dbkeys import tenant_row_key
from tenants.models import Membership, TenantScopedModel


class Industry(TenantScopedModel):
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        ordering = ["name"]
        constraints = [
            tenant_row_key("industry"),
            models.UniqueConstraint(fields=["tenant", "code"], name="industry_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name


class CurriculumStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Curriculum(TenantScopedModel):
    """One version of a curriculum. Versions share a code; old versions stay for the records."""

    Status = CurriculumStatus

    industry = models.ForeignKey(
        Industry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="curricula",
        verbose_name=_("industry"),
        help_text=_("Leave empty for common content shared by every industry."),
    )
    code = models.SlugField(_("code"), max_length=60)
    version = models.PositiveIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    estimated_minutes = models.PositiveIntegerField(_("estimated minutes"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    requires_recertification = models.BooleanField(
        _("requires recertification"),
        default=False,
        help_text=_("This version changes what is tested: holders must certify again."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("curriculum")
        verbose_name_plural = _("curricula")
        ordering = ["code", "-version"]
        constraints = [
            tenant_row_key("curriculum"),
            models.CheckConstraint(
                condition=Q(status__in=CurriculumStatus.values), name="curriculum_status_known"
            ),
            models.UniqueConstraint(
                fields=["tenant", "code", "version"], name="curriculum_unique_version"
            ),
            models.UniqueConstraint(
                fields=["tenant", "code"],
                condition=Q(status="published"),
                name="curriculum_one_published_version",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status"], name="curriculum_status")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def is_common(self) -> bool:
        return self.industry_id is None


class LessonKind(models.TextChoices):
    LESSON = "lesson", _("Lesson")
    ARTICLE = "article", _("Knowledge article")


class Lesson(TenantScopedModel):
    Kind = LessonKind

    curriculum = models.ForeignKey(
        Curriculum, on_delete=models.CASCADE, related_name="lessons", verbose_name=_("curriculum")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body (Markdown)"), blank=True)
    estimated_minutes = models.PositiveIntegerField(_("estimated minutes"), default=5)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.LESSON)

    class Meta:
        constraints = [
            tenant_row_key("lesson"),
            models.CheckConstraint(
                condition=Q(kind__in=LessonKind.values), name="lesson_kind_known"
            ),
        ]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["curriculum", "position", "pk"]
        indexes = [models.Index(fields=["tenant", "curriculum", "position"], name="lesson_order")]

    def __str__(self) -> str:
        return self.title


class QuestionCategory(TenantScopedModel):
    name = models.CharField(_("name"), max_length=120)
    industry = models.ForeignKey(
        Industry, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("industry")
    )

    class Meta:
        verbose_name = _("question category")
        verbose_name_plural = _("question categories")
        ordering = ["name"]
        constraints = [
            tenant_row_key("questioncategory"),
            models.UniqueConstraint(fields=["tenant", "name"], name="category_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class QuestionType(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TRUE_FALSE = "truefalse", _("True/false")
    SHORT = "short", _("Short answer")
    NUMERIC = "numeric", _("Numeric")


class Question(TenantScopedModel):
    Type = QuestionType

    category = models.ForeignKey(
        QuestionCategory,
        on_delete=models.PROTECT,
        related_name="questions",
        verbose_name=_("category"),
    )
    qtype = models.CharField(_("type"), max_length=10, choices=Type.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    text = models.TextField(_("question text"))
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2, default=1)
    explanation = models.TextField(_("explanation"), blank=True)
    partial_credit = models.BooleanField(
        _("partial credit"),
        default=False,
        help_text=_("Multiple choice: score each choice instead of all-or-nothing."),
    )
    numeric_answer = models.DecimalField(
        _("numeric answer"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    tolerance = models.DecimalField(
        _("tolerance"), max_digits=18, decimal_places=6, default=0, blank=True
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["category", "pk"]
        indexes = [models.Index(fields=["tenant", "category"], name="question_category")]
        constraints = [
            tenant_row_key("question"),
            models.CheckConstraint(
                condition=Q(qtype__in=QuestionType.values), name="question_type_known"
            ),
            models.CheckConstraint(condition=Q(points__gt=0), name="question_points_positive"),
            models.CheckConstraint(condition=Q(tolerance__gte=0), name="question_tolerance_gte_0"),
        ]

    def __str__(self) -> str:
        return self.name or self.text[:80]


class Choice(TenantScopedModel):
    """A choice of a choice question, or an accepted answer (pattern) of a short-answer one.

    ``fraction`` is the share of the question's points it earns: 1 for a correct single choice,
    a share for partial credit, negative to penalise a wrong pick in multiple choice."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="choices", verbose_name=_("question")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    text = models.TextField(_("text"))
    fraction = models.DecimalField(
        _("fraction"),
        max_digits=6,
        decimal_places=5,
        default=0,
        validators=[MinValueValidator(-1), MaxValueValidator(1)],
    )
    feedback = models.TextField(_("feedback"), blank=True)

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["question", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fraction__gte=-1) & Q(fraction__lte=1), name="choice_fraction_range"
            )
        ]
        indexes = [models.Index(fields=["tenant", "question"], name="choice_tenant_question")]

    def __str__(self) -> str:
        return self.text[:80]


class ReviewPolicy(models.TextChoices):
    SCORE = "score", _("Score only")
    ANSWERS = "answers", _("With correct answers")
    EXPLANATIONS = "explanations", _("With correct answers and explanations")


class Quiz(TenantScopedModel):
    Review = ReviewPolicy

    curriculum = models.ForeignKey(
        Curriculum, on_delete=models.CASCADE, related_name="quizzes", verbose_name=_("curriculum")
    )
    title = models.CharField(_("title"), max_length=200)
    instructions = models.TextField(_("instructions"), blank=True)
    pass_mark_percent = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=80, validators=[MaxValueValidator(100)]
    )
    time_limit_minutes = models.PositiveIntegerField(
        _("time limit (minutes)"), null=True, blank=True
    )
    max_attempts = models.PositiveIntegerField(_("attempt limit"), null=True, blank=True)
    cooldown_minutes = models.PositiveIntegerField(_("cool-down (minutes)"), default=0)
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=True)
    shuffle_choices = models.BooleanField(_("shuffle choices"), default=True)
    one_per_page = models.BooleanField(_("one question per page"), default=False)
    review_policy = models.CharField(
        _("review policy"), max_length=12, choices=Review.choices, default=Review.ANSWERS
    )
    questions = models.ManyToManyField(
        Question, through="QuizQuestion", related_name="quizzes", verbose_name=_("questions")
    )

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")
        ordering = ["curriculum", "pk"]
        constraints = [
            tenant_row_key("quiz"),
            models.CheckConstraint(
                condition=Q(review_policy__in=ReviewPolicy.values), name="quiz_review_known"
            ),
            models.CheckConstraint(
                condition=Q(pass_mark_percent__lte=100), name="quiz_pass_mark_range"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "curriculum"], name="quiz_tenant_curriculum")]

    def __str__(self) -> str:
        return self.title


class QuizQuestion(TenantScopedModel):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="fixed_items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("fixed question")
        verbose_name_plural = _("fixed questions")
        ordering = ["quiz", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "question"], name="quizquestion_unique")
        ]
        indexes = [models.Index(fields=["tenant", "quiz"], name="quizquestion_tenant_quiz")]


class QuizRandomRule(TenantScopedModel):
    """ "N random questions from category X", drawn when an attempt starts."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="random_rules")
    category = models.ForeignKey(QuestionCategory, on_delete=models.PROTECT, related_name="+")
    count = models.PositiveIntegerField(_("count"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("random question rule")
        verbose_name_plural = _("random question rules")
        constraints = [models.CheckConstraint(condition=Q(count__gte=1), name="randomrule_count")]
        indexes = [models.Index(fields=["tenant", "quiz"], name="randomrule_tenant_quiz")]


class Enrollment(TenantScopedModel):
    """A curriculum assigned to an agent, with a due date."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("agent")
    )
    curriculum = models.ForeignKey(
        Curriculum,
        on_delete=models.CASCADE,
        related_name="enrollments",
        verbose_name=_("curriculum"),
    )
    assigned_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    created_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    passes_from = models.DateTimeField(
        _("counts quiz passes from"),
        null=True,
        blank=True,
        help_text=_(
            "Set when the curriculum is assigned again to recertify: only quizzes passed from "
            "then on count towards it (lessons read once stay read)."
        ),
    )

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "membership", "curriculum"], name="enrollment_unique"
            )
        ]
        indexes = [models.Index(fields=["tenant", "membership", "due_at"], name="enrollment_due")]


class LessonCompletion(TenantScopedModel):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField(_("completed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lesson completion")
        verbose_name_plural = _("lesson completions")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "membership", "lesson"], name="lessoncompletion_unique"
            )
        ]


class AttemptState(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    GRADED = "graded", _("Graded")
    EXPIRED = "expired", _("Expired (graded on saved answers)")


class Attempt(TenantScopedModel):
    """One sitting of a quiz. ``dealt`` freezes the questions and choice order handed out, so
    later edits of the bank change no past attempt."""

    State = AttemptState

    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="attempts")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField(_("attempt number"), default=1)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.IN_PROGRESS
    )
    dealt = models.JSONField(_("questions dealt"), default=list)
    revision = models.PositiveIntegerField(
        default=0, help_text=_("Increases with every saved answer; detects stale pages.")
    )
    started_at = models.DateTimeField(_("started at"))
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=8, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(
        _("maximum score"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    percent = models.DecimalField(
        _("percent"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    curriculum_version = models.PositiveIntegerField(_("curriculum version"), default=1)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["-started_at"]
        constraints = [
            tenant_row_key("attempt"),
            models.CheckConstraint(
                condition=Q(state__in=AttemptState.values), name="attempt_state_known"
            ),
            # At most one sitting in progress per agent and quiz, whatever the race.
            models.UniqueConstraint(
                fields=["tenant", "membership", "quiz"],
                condition=Q(state="in_progress"),
                name="attempt_one_in_progress",
            ),
            models.UniqueConstraint(
                fields=["tenant", "membership", "quiz", "number"], name="attempt_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(state="in_progress") | Q(finished_at__isnull=False),
                name="attempt_finished_has_time",
            ),
            models.CheckConstraint(
                condition=Q(deadline__isnull=True) | Q(deadline__gt=F("started_at")),
                name="attempt_deadline_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "membership", "quiz"], name="attempt_agent_quiz"),
            models.Index(
                fields=["tenant", "deadline"],
                condition=Q(state="in_progress"),
                name="attempt_open_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quiz} #{self.number}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.IN_PROGRESS


class AttemptAnswer(TenantScopedModel):
    """The latest saved answer to one dealt question; ``response`` holds choice ids or text."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question_id = models.BigIntegerField(_("question"))
    response = models.JSONField(_("response"), default=dict)
    saved_at = models.DateTimeField(_("saved at"))
    points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "question_id"], name="answer_one_per_question"
            )
        ]
        indexes = [models.Index(fields=["tenant", "attempt"], name="answer_attempt")]
