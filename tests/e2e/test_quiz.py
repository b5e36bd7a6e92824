"""Real browser: a trainee starts a quiz, answers (autosaved), reloads and finds the answers
kept, submits and sees the result. Screenshots (phone width) are kept as artifacts."""

import os

import pytest

from tenants.models import Role
from tests.training.factories import make_quiz

from ..factories import MembershipFactory, TenantFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_trainee_answers_reloads_finds_answers_kept_and_submits(
    live_server, page, live_login, artifacts_dir
):
    tenant = TenantFactory(slug="e2e-quiz", name="E2E Quiz Centre")
    MembershipFactory(tenant=tenant, role=Role.AGENT, user=UserFactory(username="e2e.trainee"))
    quiz = make_quiz(tenant, n_questions=3, time_limit_minutes=15, pass_mark_percent=60)
    page.set_viewport_size({"width": 390, "height": 844})
    live_login("e2e.trainee")

    page.goto(f"{live_server.url}/training/quizzes/{quiz.pk}/")
    page.click("#start-quiz")
    page.wait_for_url("**/training/attempts/*/")
    attempt_url = page.url
    assert page.locator("#countdown").is_visible()

    questions = page.locator("fieldset.question")
    assert questions.count() == 3
    # Answer the first two questions: the choice labelled "right", each autosaved on change.
    for index in (0, 1):
        choice = questions.nth(index).locator("label.choice", has_text="right").locator("input")
        with page.expect_response(lambda r: r.url.endswith("/save/") and r.status == 200):
            choice.check()
    page.wait_for_selector("#save-state[data-state=saved]")
    page.screenshot(path=str(artifacts_dir / "quiz-attempt-answered.png"), full_page=True)

    page.reload()
    assert page.url == attempt_url
    questions = page.locator("fieldset.question")
    for index in (0, 1):
        kept = questions.nth(index).locator("label.choice", has_text="right").locator("input")
        assert kept.is_checked()
    assert page.locator("#revision").input_value() == "2"
    # The third one with the keyboard: focus it, press 2 ("wrong").
    questions.nth(2).locator("input[type=radio]").first.focus()
    with page.expect_response(lambda r: r.url.endswith("/save/") and r.status == 200):
        page.keyboard.press("2")
    page.screenshot(path=str(artifacts_dir / "quiz-attempt-reloaded.png"), full_page=True)

    page.click("#submit-attempt")
    page.wait_for_url("**/result/")
    result = page.locator("#result")
    assert "66.67%" in result.inner_text()
    assert result.locator(".badge.passed").count() == 1
    page.screenshot(path=str(artifacts_dir / "quiz-result.png"), full_page=True)
