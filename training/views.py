"""Trainee and team-lead pages of the training app. Thin: look up (tenant-scoped), call a
service, render. JSON endpoints for autosave and submit share the services of the form pages."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core import jsonbody
from core.api_errors import error_body
from core.errors import DomainError, InvalidInput
from tenants.mixins import LEAD_ROLES, get_for_tenant_or_404, tenant_view
from tenants.models import Team

from . import attempts as engine
from . import selectors, services
from .forms import AssignForm
from .markdown import render_markdown
from .models import Attempt, Lesson, Quiz

GET_POST = require_http_methods(["GET", "POST"])


@tenant_view()
@require_http_methods(["GET"])
def mine(request):
    membership = request.membership
    return render(
        request,
        "training/mine.html",
        {
            "assignments": selectors.assignments(membership=membership),
            "open_attempts": selectors.open_attempts(membership=membership),
            "results": selectors.recent_results(membership=membership, limit=20),
        },
    )


@tenant_view()
def curriculum(request, pk: int):
    obj = get_for_tenant_or_404(
        selectors.visible_curricula(request.tenant).select_related("industry"),
        request.tenant,
        pk=pk,
    )
    if request.method != "GET":
        return _not_allowed(["GET"])
    context = selectors.curriculum_page(curriculum=obj, membership=request.membership)
    return render(request, "training/curriculum.html", {"curriculum": obj, **context})


def _visible(model, request, pk: int):
    """A lesson or quiz of a curriculum trainees may see (never a draft), else 404."""
    queryset = model.objects.filter(
        curriculum__in=selectors.visible_curricula(request.tenant)
    ).select_related("curriculum")
    return get_for_tenant_or_404(queryset, request.tenant, pk=pk)


@tenant_view()
def lesson(request, pk: int):
    obj = _visible(Lesson, request, pk)
    if request.method == "POST":
        created = services.complete_lesson(membership=request.membership, lesson=obj)
        if created:
            messages.success(request, _("Lesson marked as complete."))
        return redirect("training:curriculum", pk=obj.curriculum_id)
    if request.method != "GET":
        return _not_allowed(["GET", "POST"])
    done = obj.completions.filter(membership=request.membership).exists()
    siblings = list(
        Lesson.objects.for_tenant(request.tenant)
        .filter(curriculum_id=obj.curriculum_id)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )
    index = siblings.index(obj.pk)
    return render(
        request,
        "training/lesson.html",
        {
            "lesson": obj,
            "body": render_markdown(obj.body),
            "done": done,
            "previous_id": siblings[index - 1] if index > 0 else None,
            "next_id": siblings[index + 1] if index + 1 < len(siblings) else None,
        },
    )


@tenant_view()
@require_http_methods(["GET"])
def search(request):
    query = request.GET.get("q", "")
    results = selectors.search_articles(tenant=request.tenant, query=query)
    return render(request, "training/search.html", {"query": query, "results": results})


def _not_allowed(allowed):
    from django.http import HttpResponseNotAllowed

    return HttpResponseNotAllowed(allowed)


@tenant_view()
def quiz(request, pk: int):
    obj = _visible(Quiz, request, pk)
    if request.method == "POST":
        try:
            attempt = engine.start_attempt(quiz=obj, membership=request.membership)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("training:quiz", pk=obj.pk)
        return redirect("training:attempt", pk=attempt.pk)
    if request.method != "GET":
        return _not_allowed(["GET", "POST"])
    status = engine.attempts_status(quiz=obj, membership=request.membership)
    return render(request, "training/quiz.html", {"quiz": obj, "status": status})


def _own_attempt(request, pk: int, *, with_quiz: bool = True) -> Attempt:
    """Only the agent's own attempts exist for them: another user's id answers 404."""
    if request.membership is None:
        raise Http404
    attempts = Attempt.objects.filter(membership=request.membership)
    if with_quiz:
        attempts = attempts.select_related("quiz", "quiz__curriculum")
    return get_for_tenant_or_404(attempts, request.tenant, pk=pk)


def _answers_from_form(attempt: Attempt, post, question_ids) -> dict:
    answers = {}
    for qid in question_ids:
        item = engine.dealt_item(attempt, qid)
        key = f"q{item['id']}"
        if item["type"] == "multiple":
            answers[item["id"]] = {"choices": post.getlist(key)}
        elif item["type"] in ("single", "truefalse"):
            answers[item["id"]] = {"choice": post.get(key) or None}
        elif item["type"] == "short":
            answers[item["id"]] = {"text": post.get(key, "")}
        else:
            answers[item["id"]] = {"value": post.get(key, "")}
    return answers


def _page_questions(attempt: Attempt, page: int) -> list[dict]:
    if attempt.quiz.one_per_page:
        return attempt.dealt[page : page + 1]
    return attempt.dealt


@tenant_view()
def attempt(request, pk: int):
    obj = _own_attempt(request, pk)
    if request.method not in ("GET", "POST"):
        return _not_allowed(["GET", "POST"])
    if obj.is_open and not engine.accepts_answers(obj, timezone.now()):
        obj = engine.finish_expired(attempt_id=obj.pk)
        messages.warning(
            request, _("Time was up: the attempt was graded on the answers saved in time.")
        )
    if not obj.is_open:
        return redirect("training:result", pk=obj.pk)
    count = len(obj.dealt)
    try:
        page = min(max(int(request.GET.get("page", 0)), 0), count - 1)
    except ValueError:
        page = 0
    if request.method == "POST":
        return _attempt_post(request, obj, count)
    now = timezone.now()
    answers = {a.question_id: a.response for a in obj.answers.all()}
    questions = []
    for index, item in enumerate(obj.dealt):
        response = answers.get(item["id"], {})
        picked = {str(c) for c in response.get("choices") or []}
        if response.get("choice") is not None:
            picked.add(str(response["choice"]))
        public = engine.public_question(item)
        # Checked or not is decided here, once per choice: the page is every trainee's first
        # request of an exam hall, and the template's filters and lookups per choice were its
        # largest cost.
        choices = [{**c, "checked": str(c["id"]) in picked} for c in public["choices"]]
        questions.append(
            {
                "number": index + 1,
                "index": index,
                "q": public,
                "choices": choices,
                "text": response.get("text", response.get("value", "")),
                "answered": bool(
                    response and any(v not in ("", None, []) for v in response.values())
                ),
            }
        )
    shown = questions[page : page + 1] if obj.quiz.one_per_page else questions
    return render(
        request,
        "training/attempt.html",
        {
            "attempt": obj,
            "quiz": obj.quiz,
            "questions": questions,
            "shown": shown,
            "page": page,
            "count": count,
            "seconds_left": int((obj.deadline - now).total_seconds()) if obj.deadline else None,
        },
    )


def _attempt_post(request, obj: Attempt, count: int):
    post = request.POST
    shown_ids = [v for v in post.getlist("shown") if v]
    action = "submit" if post.get("action") == "submit" or "goto" not in post else "save"
    revision = post.get("revision")
    expected = int(revision) if revision and revision.isdigit() else None
    try:
        answers = _answers_from_form(obj, post, shown_ids)
        if action == "submit":
            result = engine.submit_attempt(
                attempt=obj,
                membership=request.membership,
                answers=answers,
                expected_revision=expected,
            )
            if result.state == Attempt.State.EXPIRED:
                messages.warning(
                    request,
                    _("Time was up: the attempt was graded on the answers saved in time."),
                )
            return redirect("training:result", pk=obj.pk)
        for qid, response in answers.items():
            obj = engine.save_answer(
                attempt=obj,
                membership=request.membership,
                question_id=qid,
                response=response,
                expected_revision=expected,
            )
            expected = obj.revision
    except DomainError as exc:
        messages.error(request, exc.message)
        if getattr(exc, "code", "") == "deadline_passed":
            engine.finish_expired(attempt_id=obj.pk)
            return redirect("training:result", pk=obj.pk)
        return redirect(reverse("training:attempt", kwargs={"pk": obj.pk}))
    try:
        target = int(post.get("goto", 0))
    except ValueError:
        target = 0
    target = min(max(target, 0), count - 1)
    return redirect(f"{reverse('training:attempt', kwargs={'pk': obj.pk})}?page={target}")


def _json_error(exc: DomainError) -> JsonResponse:
    return JsonResponse(error_body(exc.code, exc.message, exc.details), status=exc.status)


def _json_body(request) -> dict:
    try:
        body = jsonbody.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise InvalidInput(_("The request body must be a JSON object."), code="malformed_body")
    return body


@tenant_view()
@require_POST
def attempt_save(request, pk: int):
    """Autosave one answer: ``{"question": id, "response": {...}}`` → ``{"revision": n}``."""
    # The dealt questions are all autosave reads: the hall's most frequent request skips
    # building the quiz and its curriculum.
    obj = _own_attempt(request, pk, with_quiz=False)
    try:
        body = _json_body(request)
        saved = engine.save_answer(
            attempt=obj,
            membership=request.membership,
            question_id=body.get("question"),
            response=body.get("response"),
        )
    except DomainError as exc:
        return _json_error(exc)
    return JsonResponse({"revision": saved.revision, "saved_at": timezone.now().isoformat()})


@tenant_view()
@require_POST
def attempt_submit(request, pk: int):
    """Submit: ``{"answers": {id: response}, "revision": n}``; 409 ``stale_answers`` when answers
    changed elsewhere since ``revision``; a second submit returns the same result."""
    obj = _own_attempt(request, pk)
    try:
        body = _json_body(request)
        answers = body.get("answers") or {}
        if not isinstance(answers, dict):
            raise InvalidInput(_("“answers” must be an object."), code="invalid_answers")
        revision = body.get("revision")
        result = engine.submit_attempt(
            attempt=obj,
            membership=request.membership,
            answers=answers,
            expected_revision=int(revision) if isinstance(revision, int) else None,
        )
    except DomainError as exc:
        return _json_error(exc)
    return JsonResponse(
        {
            "state": result.state,
            "score": str(result.score),
            "max_score": str(result.max_score),
            "percent": str(result.percent),
            "passed": result.passed,
            "result_url": reverse("training:result", kwargs={"pk": result.pk}),
        }
    )


@tenant_view()
@require_http_methods(["GET"])
def result(request, pk: int):
    obj = _own_attempt(request, pk)
    if obj.is_open:
        return redirect("training:attempt", pk=obj.pk)
    policy = obj.quiz.review_policy
    items = engine.review_items(obj) if policy != Quiz.Review.SCORE else []
    return render(
        request,
        "training/result.html",
        {
            "attempt": obj,
            "quiz": obj.quiz,
            "items": items,
            "show_answers": policy in (Quiz.Review.ANSWERS, Quiz.Review.EXPLANATIONS),
            "show_explanations": policy == Quiz.Review.EXPLANATIONS,
        },
    )


@tenant_view(roles=LEAD_ROLES)
@GET_POST
def assign(request):
    membership = request.membership
    teams = Team.objects.for_tenant(request.tenant).order_by("name")
    if membership.role not in ("trainer", "tenant_admin"):
        teams = teams.filter(lead=membership)
    form = AssignForm(
        request.POST or None,
        curricula=selectors.visible_curricula(request.tenant)
        .filter(status="published")
        .order_by("title"),
        agents=selectors.team_members(membership=membership),
        teams=teams,
    )
    if request.method == "POST" and form.is_valid():
        curricula = list(form.cleaned_data["curricula"])
        created = services.enroll_agents(
            tenant=request.tenant,
            curricula=curricula,
            memberships=list(form.cleaned_data["agents"]),
            assigned_by=membership,
            due_at=form.due_at,
        )
        for team in form.cleaned_data["teams"]:
            created += services.enroll_team(
                tenant=request.tenant,
                curricula=curricula,
                team=team,
                assigned_by=membership,
                due_at=form.due_at,
            )
        messages.success(request, _("%(count)s new assignments created.") % {"count": created})
        return redirect("training:team")
    return render(request, "training/assign.html", {"form": form})


@tenant_view(roles=LEAD_ROLES)
@require_http_methods(["GET"])
def team(request):
    rows = selectors.team_progress(membership=request.membership)
    return render(request, "training/team.html", {"rows": rows})
