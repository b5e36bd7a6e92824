"""Trainee and team-lead pages: what they show, what they refuse."""

import json
import re

import pytest
from django.urls import reverse

from training.attempts import start_attempt
from training.models import Attempt, Enrollment, Quiz
from training.services import enroll_agents

from .factories import LessonFactory, make_quiz


def enroll(world, curriculum, *members):
    enroll_agents(
        tenant=world.tenant,
        curricula=[curriculum],
        memberships=list(members) or [world.agent],
        assigned_by=None,
        due_at=None,
    )


def test_trainee_reads_a_lesson_rendered_safely_and_marks_it_complete(world, client_for):
    lesson = LessonFactory(
        tenant=world.tenant, body="# Greeting\n\n<script>alert(1)</script> **Hello**"
    )
    client = client_for(world.agent)
    page = client.get(reverse("training:lesson", kwargs={"pk": lesson.pk}))
    html = page.content.decode()
    assert "<strong>Hello</strong>" in html and "<script>alert" not in html
    response = client.post(reverse("training:lesson", kwargs={"pk": lesson.pk}))
    assert response.status_code == 302
    assert lesson.completions.filter(membership=world.agent).count() == 1
    client.post(reverse("training:lesson", kwargs={"pk": lesson.pk}))
    assert lesson.completions.count() == 1


def test_draft_curricula_are_not_visible_to_trainees(world, client_for):
    quiz = make_quiz(world.tenant)
    quiz.curriculum.status = "draft"
    quiz.curriculum.save()
    client = client_for(world.agent)
    assert (
        client.get(reverse("training:curriculum", kwargs={"pk": quiz.curriculum_id})).status_code
        == 404
    )
    assert client.get(reverse("training:quiz", kwargs={"pk": quiz.pk})).status_code == 404


def test_knowledge_search_finds_articles_of_the_tenant_only(world, client_for):
    LessonFactory(
        tenant=world.tenant, title="Roaming charges", body="How roaming is billed.", kind="article"
    )
    LessonFactory(tenant=world.tenant, title="退款流程", body="七天无理由退货", kind="article")
    LessonFactory(tenant=world.other_tenant, title="Roaming secrets", body="roaming")
    client = client_for(world.agent)
    html = client.get(reverse("training:search"), {"q": "roaming"}).content.decode()
    assert "Roaming charges" in html and "Roaming secrets" not in html
    html = client.get(reverse("training:search"), {"q": "退货"}).content.decode()
    assert "退款流程" in html


def test_quiz_flow_through_plain_forms(world, client_for):
    quiz = make_quiz(world.tenant, n_questions=2, review_policy=Quiz.Review.EXPLANATIONS)
    client = client_for(world.agent)
    start = client.get(reverse("training:quiz", kwargs={"pk": quiz.pk}))
    assert "Start the quiz" in start.content.decode()
    response = client.post(reverse("training:quiz", kwargs={"pk": quiz.pk}))
    attempt = Attempt.objects.get()
    assert response["Location"] == reverse("training:attempt", kwargs={"pk": attempt.pk})
    page = client.get(response["Location"]).content.decode()
    # Nothing on the page tells which choice is right.
    assert "fraction" not in page and "right" in page
    data = {"revision": "0", "action": "submit", "shown": [str(i["id"]) for i in attempt.dealt]}
    for item in attempt.dealt:
        data[f"q{item['id']}"] = str(item["choices"][0]["id"])  # "right" is first
    response = client.post(reverse("training:attempt", kwargs={"pk": attempt.pk}), data)
    assert response["Location"] == reverse("training:result", kwargs={"pk": attempt.pk})
    result = client.get(response["Location"]).content.decode()
    assert "100.00%" in result and "Passed" in result


def test_one_per_page_navigation_saves_each_page(world, client_for):
    quiz = make_quiz(world.tenant, n_questions=2, one_per_page=True)
    attempt = start_attempt(quiz=quiz, membership=world.agent)
    client = client_for(world.agent)
    url = reverse("training:attempt", kwargs={"pk": attempt.pk})
    first = attempt.dealt[0]
    html = client.get(url).content.decode()
    assert first["text"] in html and attempt.dealt[1]["text"] not in html
    response = client.post(
        url,
        {
            "revision": "0",
            "goto": "1",
            "shown": [first["id"]],
            f"q{first['id']}": first["choices"][0]["id"],
        },
    )
    assert response["Location"].endswith("?page=1")
    attempt.refresh_from_db()
    assert attempt.revision == 1 and attempt.is_open
    # Replaying the stale first page is refused with a message; nothing changes.
    response = client.post(
        url,
        {
            "revision": "0",
            "goto": "1",
            "shown": [first["id"]],
            f"q{first['id']}": first["choices"][1]["id"],
        },
        follow=True,
    )
    assert "changed in another window" in response.content.decode()
    assert attempt.answers.get().response == {"choice": first["choices"][0]["id"]}


def test_attempt_page_shows_saved_answers_checked_and_nothing_else(world, client_for):
    from .factories import CategoryFactory, add_fixed, make_question

    quiz = make_quiz(world.tenant, n_questions=1)
    category = CategoryFactory(tenant=world.tenant)
    several = make_question(category, "multiple", choices=[("a", 0.5), ("b", 0.5), ("c", 0)])
    add_fixed(quiz, several)
    attempt = start_attempt(quiz=quiz, membership=world.agent)
    client = client_for(world.agent)
    save = reverse("training:attempt-save", kwargs={"pk": attempt.pk})
    single, multiple = sorted(attempt.dealt, key=lambda item: item["type"] == "multiple")
    picks = {
        single["id"]: [single["choices"][1]["id"]],
        multiple["id"]: [multiple["choices"][0]["id"], multiple["choices"][2]["id"]],
    }
    for item, response in (
        (single, {"choice": picks[single["id"]][0]}),
        (multiple, {"choices": picks[multiple["id"]]}),
    ):
        saved = client.post(
            save, json.dumps({"question": item["id"], "response": response}), "application/json"
        )
        assert saved.status_code == 200

    html = client.get(reverse("training:attempt", kwargs={"pk": attempt.pk})).content.decode()
    inputs = re.findall(
        r'<input type="(?:radio|checkbox)" name="q(\d+)" value="(\d+)" ?(checked)?', html
    )
    checked = {}
    for question_id, choice_id, mark in inputs:
        checked.setdefault(int(question_id), [])
        if mark:
            checked[int(question_id)].append(int(choice_id))
    assert checked == picks
    assert len(inputs) == 5


def test_autosave_endpoint_saves_and_refuses_with_json_errors(world, client_for):
    quiz = make_quiz(world.tenant)
    attempt = start_attempt(quiz=quiz, membership=world.agent)
    client = client_for(world.agent)
    url = reverse("training:attempt-save", kwargs={"pk": attempt.pk})
    item = attempt.dealt[0]
    ok = client.post(
        url,
        json.dumps({"question": item["id"], "response": {"choice": item["choices"][0]["id"]}}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["revision"] == 1
    foreign = client.post(
        url,
        json.dumps(
            {"question": item["id"], "response": {"choice": attempt.dealt[1]["choices"][0]["id"]}}
        ),
        content_type="application/json",
    )
    assert foreign.status_code == 400
    assert foreign.json()["error"]["code"] == "choice_not_in_question"
    bad = client.post(url, "[1,2", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "malformed_body"
    # Valid JSON holding a lone surrogate cannot be stored: refused, not a server error.
    lone = json.dumps({"question": item["id"], "response": {"text": "LONE"}})
    lone = lone.replace("LONE", "\\udfff")
    refused = client.post(url, lone, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "malformed_body"


def test_stale_json_submit_answers_409_and_double_submit_grades_once(world, client_for):
    quiz = make_quiz(world.tenant)
    attempt = start_attempt(quiz=quiz, membership=world.agent)
    client = client_for(world.agent)
    save = reverse("training:attempt-save", kwargs={"pk": attempt.pk})
    submit = reverse("training:attempt-submit", kwargs={"pk": attempt.pk})
    item = attempt.dealt[0]
    client.post(
        save,
        json.dumps({"question": item["id"], "response": {"choice": item["choices"][0]["id"]}}),
        content_type="application/json",
    )
    stale = client.post(submit, json.dumps({"revision": 0}), content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_answers"
    first = client.post(submit, json.dumps({"revision": 1}), content_type="application/json")
    second = client.post(submit, json.dumps({"revision": 1}), content_type="application/json")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.json()["score"] == "1.00"


def test_another_users_attempt_answers_404(world, client_for):
    attempt = start_attempt(quiz=make_quiz(world.tenant), membership=world.agent)
    client = client_for(world.other_agent)
    for name in ("training:attempt", "training:result"):
        assert client.get(reverse(name, kwargs={"pk": attempt.pk})).status_code == 404
    for name in ("training:attempt-save", "training:attempt-submit"):
        response = client.post(
            reverse(name, kwargs={"pk": attempt.pk}), "{}", content_type="application/json"
        )
        assert response.status_code == 404


def test_review_policy_score_only_hides_answers(world, client_for):
    quiz = make_quiz(world.tenant, review_policy=Quiz.Review.SCORE)
    attempt = start_attempt(quiz=quiz, membership=world.agent)
    client = client_for(world.agent)
    client.post(
        reverse("training:attempt-submit", kwargs={"pk": attempt.pk}),
        "{}",
        content_type="application/json",
    )
    html = client.get(reverse("training:result", kwargs={"pk": attempt.pk})).content.decode()
    assert "0.00%" in html and "Review" not in html and attempt.dealt[0]["text"] not in html


def test_lead_assigns_a_team_with_a_due_date(world, client_for):
    quiz = make_quiz(world.tenant)
    client = client_for(world.lead)
    assert client.get(reverse("training:assign")).status_code == 200
    response = client.post(
        reverse("training:assign"),
        {"curricula": [quiz.curriculum_id], "teams": [world.team.pk], "due_date": "2026-12-31"},
    )
    assert response.status_code == 302
    assert Enrollment.objects.count() == 2
    page = client.get(reverse("training:team")).content.decode()
    assert quiz.curriculum.title in page


def test_assign_form_says_which_field_is_wrong(world, client_for):
    client = client_for(world.lead)
    response = client.post(reverse("training:assign"), {"due_date": "not a date"})
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'id="id_curricula-error"|This field is required', html)
    assert "Enter a valid date" in html


def test_agents_cannot_open_lead_pages(world, client_for):
    client = client_for(world.agent)
    assert client.get(reverse("training:assign")).status_code == 403
    assert client.get(reverse("training:team")).status_code == 403


@pytest.mark.parametrize("role", ["agent", "lead"])
def test_dashboard_shows_the_training_panel(world, client_for, role):
    quiz = make_quiz(world.tenant)
    enroll(world, quiz.curriculum)
    html = client_for(getattr(world, role)).get("/").content.decode()
    assert "Training" in html
    if role == "agent":
        assert quiz.curriculum.title in html


def test_opening_an_attempt_past_its_grace_period_closes_it_and_shows_the_result(world, client_for):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    quiz = make_quiz(world.tenant, time_limit_minutes=5)
    attempt = start_attempt(quiz=quiz, membership=world.agent)
    client = client_for(world.agent)
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        response = client.get(reverse("training:attempt", kwargs={"pk": attempt.pk}))
    assert response["Location"] == reverse("training:result", kwargs={"pk": attempt.pk})
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.EXPIRED


def test_a_lead_assigns_and_sees_only_their_own_team(world, client_for):
    from tests.factories import MembershipFactory, make_team

    other_team = make_team(world.tenant, name="Green")
    outsider = MembershipFactory(tenant=world.tenant, team=other_team)
    quiz = make_quiz(world.tenant)
    enroll(world, quiz.curriculum, outsider)
    client = client_for(world.lead)
    response = client.post(
        reverse("training:assign"),
        {"curricula": [quiz.curriculum_id], "agents": [outsider.pk]},
    )
    assert response.status_code == 200  # refused: not one of the choices
    assert "Select a valid choice" in response.content.decode()
    assert Enrollment.objects.filter(membership=outsider).count() == 1
    page = client.get(reverse("training:team")).content.decode()
    assert outsider.employee_id not in page


def test_late_autosave_answers_409_with_a_clear_message(world, client_for):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    quiz = make_quiz(world.tenant, time_limit_minutes=5)
    attempt = start_attempt(quiz=quiz, membership=world.agent)
    item = attempt.dealt[0]
    body = json.dumps({"question": item["id"], "response": {"choice": item["choices"][0]["id"]}})
    client = client_for(world.agent)
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        response = client.post(
            reverse("training:attempt-save", kwargs={"pk": attempt.pk}),
            body,
            content_type="application/json",
        )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "deadline_passed"
    assert error["message"].startswith("Time is up")
    assert not attempt.answers.exists()


def test_true_false_choices_read_in_the_trainees_language(world, client_for):
    from .factories import CategoryFactory, add_fixed, make_question

    quiz = make_quiz(world.tenant, n_questions=0)
    category = CategoryFactory(tenant=world.tenant)
    add_fixed(quiz, make_question(category, "truefalse", choices=[("True", 1), ("False", 0)]))
    attempt = start_attempt(quiz=quiz, membership=world.agent)
    client = client_for(world.agent)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    page = client.get(reverse("training:attempt", kwargs={"pk": attempt.pk})).content.decode()
    from django.utils import translation

    with translation.override("zh-hans"):
        words = [translation.gettext("True"), translation.gettext("False")]
    assert words != ["True", "False"]
    assert all(f"</kbd> {word}</label>" in page for word in words)
