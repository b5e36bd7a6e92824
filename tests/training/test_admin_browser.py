"""Real browser: a trainer imports a bad and then a good question file through the admin and
previews a quiz as a trainee at phone width; screenshots kept as artifacts."""

import os

import pytest

from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.training.factories import CategoryFactory, add_fixed, make_question, make_quiz
from training.models import Attempt, Question

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAD = "::ok:: 好 Fine {=a ~b}\n\n::bad:: 没有正确答案 No right answer {~a ~b}\n\n::n:: {#x}\n"
GOOD = "$CATEGORY: $course$/top/电信 Telecom\n\n::Q:: 漫游 Roaming? {=Yes ~No}\n"


def test_trainer_imports_through_the_admin_and_previews_a_quiz(
    live_server, live_login, page, artifacts_dir, tmp_path
):
    from tenants.models import Role

    tenant = TenantFactory(slug="e2e-formats", name="E2E Formats")
    MembershipFactory(tenant=tenant, role=Role.TRAINER, user=UserFactory(username="e2e.trainer"))
    live_login("e2e.trainer")

    bad, good = tmp_path / "bad.gift", tmp_path / "good.gift"
    bad.write_text(BAD, encoding="utf-8")
    good.write_text(GOOD, encoding="utf-8")

    page.goto(f"{live_server.url}/admin/training/question/")
    page.click("text=Import questions")
    page.set_input_files("input[name=file]", str(bad))
    page.select_option("select[name=format]", "gift")
    page.click("input[type=submit]")
    rows = page.locator("tr.import-error")
    assert rows.count() == 2
    assert rows.nth(0).inner_text().startswith("line 3")
    page.screenshot(path=str(artifacts_dir / "admin-import-errors.png"), full_page=True)
    assert not Question.objects.exists()

    page.set_input_files("input[name=file]", str(good))
    page.select_option("select[name=format]", "gift")
    page.click("input[type=submit]")
    page.wait_for_selector("text=Imported 1 question(s)")
    assert Question.objects.filter(tenant=tenant, category__name="电信 Telecom").count() == 1

    quiz = make_quiz(tenant, n_questions=1)
    add_fixed(
        quiz,
        make_question(
            CategoryFactory(tenant=tenant),
            "multiple",
            text="选择所有正确项 Pick all",
            choices=[("甲 A", "0.5"), ("乙 B", "0.5"), ("丙 C", 0)],
        ),
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/admin/training/quiz/{quiz.pk}/change/")
    page.click("text=Preview as trainee")
    assert page.locator("fieldset.preview-question").count() == 2
    assert page.locator("input[type=checkbox]").count() == 3
    page.screenshot(path=str(artifacts_dir / "admin-quiz-preview-phone.png"), full_page=True)
    assert not Attempt.objects.exists()
