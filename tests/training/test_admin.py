"""Trainers' admin pages: who may enter, import/export of the bank, preview as trainee."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from tests.isolation import MISSING_INT, assert_isolated
from tests.training.factories import (
    CategoryFactory,
    CurriculumFactory,
    add_fixed,
    make_question,
    make_quiz,
)
from training.models import Attempt, Curriculum, Industry, Question, QuestionCategory

IMPORT_URL = "/admin/training/question/import/"
GOOD_GIFT = """$CATEGORY: $course$/top/Billing 账单

::Q1:: 账单日是哪天? Which day is the billing day? {=1st ~15th}

::Q2:: Refunds take 7 days {TRUE}
""".encode()
BAD_GIFT = b"::ok:: fine {=a ~b}\n\n::bad:: no right answer {~a ~b}\n\n::num:: {#x}\n"


@pytest.mark.parametrize("persona", ["agent", "lead"])
def test_agents_and_leads_cannot_enter_the_admin(persona, world, client_for):
    client = client_for(getattr(world, persona))
    for url in ("/admin/", "/admin/training/question/", IMPORT_URL):
        response = client.get(url, follow=True)
        assert response.status_code == 403, url


@pytest.mark.parametrize("persona", ["trainer", "admin"])
def test_trainers_and_tenant_admins_edit_training_content(persona, world, client_for):
    client = client_for(getattr(world, persona))
    response = client.post("/admin/training/industry/add/", {"code": "telecom", "name": "电信"})
    assert response.status_code == 302
    assert Industry.objects.get(code="telecom").tenant == world.tenant
    category = CategoryFactory(tenant=world.tenant)
    response = client.post(
        "/admin/training/question/add/",
        {
            "category": category.pk,
            "qtype": "single",
            "points": "2",
            "name": "",
            "text": "Which?",
            "explanation": "",
            "numeric_answer": "",
            "tolerance": "0",
            "choices-TOTAL_FORMS": "2",
            "choices-INITIAL_FORMS": "0",
            "choices-0-position": "0",
            "choices-0-text": "Right",
            "choices-0-fraction": "1",
            "choices-1-position": "1",
            "choices-1-text": "Wrong",
            "choices-1-fraction": "0",
        },
    )
    assert response.status_code == 302, response.context["errors"]
    question = Question.objects.get(text="Which?")
    assert question.tenant == world.tenant
    assert [(c.text, c.tenant_id) for c in question.choices.all()] == [
        ("Right", world.tenant.pk),
        ("Wrong", world.tenant.pk),
    ]


def test_trainer_sees_attempts_but_cannot_change_them(world, client_for):
    from training.attempts import start_attempt

    attempt = start_attempt(quiz=make_quiz(world.tenant), membership=world.agent)
    client = client_for(world.trainer)
    url = f"/admin/training/attempt/{attempt.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(url, {"state": "graded"}).status_code == 403
    assert client.post(f"/admin/training/attempt/{attempt.pk}/delete/").status_code == 403
    assert client.get("/admin/training/attempt/add/").status_code == 403
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.IN_PROGRESS


def test_publish_action_publishes_through_the_service(world, client_for):
    draft = CurriculumFactory(tenant=world.tenant, status=Curriculum.Status.DRAFT)
    response = client_for(world.trainer).post(
        "/admin/training/curriculum/",
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == Curriculum.Status.PUBLISHED and draft.published_at is not None


def test_question_changelist_links_to_the_import_page(world, client_for):
    page = client_for(world.trainer).get("/admin/training/question/")
    assert IMPORT_URL.encode() in page.content


def test_import_page_imports_a_gift_file(world, client_for):
    client = client_for(world.trainer)
    assert client.get(IMPORT_URL).status_code == 200
    response = client.post(
        IMPORT_URL,
        {"file": SimpleUploadedFile("bank.gift", GOOD_GIFT), "format": "gift"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/admin/training/question/"
    assert "Imported 2 question(s) into Billing 账单." in response.content.decode()
    assert set(Question.objects.values_list("tenant_id", "category__name")) == {
        (world.tenant.pk, "Billing 账单")
    }


def test_import_page_puts_questions_into_the_chosen_new_category(world, client_for):
    client_for(world.admin).post(
        IMPORT_URL,
        {
            "file": SimpleUploadedFile("bank.gift", GOOD_GIFT),
            "format": "gift",
            "new_category": "Week 1",
        },
    )
    assert list(QuestionCategory.objects.values_list("name", flat=True)) == ["Week 1"]
    assert Question.objects.filter(category__name="Week 1").count() == 2


def test_import_page_lists_every_error_and_imports_nothing(world, client_for):
    response = client_for(world.trainer).post(
        IMPORT_URL, {"file": SimpleUploadedFile("bad.gift", BAD_GIFT), "format": "gift"}
    )
    assert response.status_code == 200
    assert [(e.location, e.message) for e in response.context["errors"]] == [
        ("line 3", "There is no correct answer."),
        ("line 5", "“x” is not a number, a number:tolerance or a min..max range."),
    ]
    html = response.content.decode()
    assert html.count('class="import-error"') == 2
    assert "line 5" in html and "nothing was imported" in html
    assert not Question.objects.exists() and not QuestionCategory.objects.exists()


@override_settings(QUESTION_IMPORT_MAX_BYTES=2048)
def test_import_page_refuses_an_oversized_file(world, client_for):
    response = client_for(world.trainer).post(
        IMPORT_URL,
        {"file": SimpleUploadedFile("big.gift", GOOD_GIFT * 100), "format": "gift"},
    )
    assert "at most 2 KB can be imported at once" in response.content.decode()
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    ("fmt", "marker"), [("gift", b"::Q1::"), ("moodle_xml", b"<quiz>"), ("csv", b"category,type")]
)
def test_export_action_downloads_the_selected_questions(fmt, marker, world, client_for):
    category = CategoryFactory(tenant=world.tenant)
    chosen = make_question(category, name="Q1", choices=[("a", 1), ("b", 0)])
    make_question(category, name="Not selected", choices=[("a", 1), ("b", 0)])
    response = client_for(world.trainer).post(
        "/admin/training/question/", {"action": f"export_{fmt}", "_selected_action": [chosen.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert marker in response.content
    assert b"Not selected" not in response.content


def _secret_quiz(tenant):
    quiz = make_quiz(tenant, n_questions=1)
    category = CategoryFactory(tenant=tenant)
    add_fixed(
        quiz,
        make_question(category, "short", text="Short one?", choices=[("SECRET-PATTERN", 1)]),
        make_question(
            category,
            "numeric",
            text="Numeric one?",
            numeric_answer=424242,
            explanation="SECRET-EXPLANATION",
        ),
    )
    return quiz


def test_preview_shows_what_a_trainee_gets_without_answers_or_an_attempt(world, client_for):
    quiz = _secret_quiz(world.tenant)
    response = client_for(world.trainer).get(f"/admin/training/quiz/{quiz.pk}/preview/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Short one?" in html and "Numeric one?" in html and "Q0?" in html
    assert len(response.context["items"]) == 3
    for secret in ("SECRET-PATTERN", "424242", "SECRET-EXPLANATION", "fraction"):
        assert secret not in html
    assert not Attempt.objects.exists()


def test_quiz_change_page_links_to_the_preview(world, client_for):
    quiz = make_quiz(world.tenant)
    page = client_for(world.trainer).get(f"/admin/training/quiz/{quiz.pk}/change/")
    assert f"/admin/training/quiz/{quiz.pk}/preview/".encode() in page.content


def test_preview_of_another_tenants_quiz_answers_like_a_missing_one(world, client_for):
    quiz = make_quiz(world.tenant)
    name = "admin:training_quiz_preview"
    assert_isolated(
        client_for(world.other_admin),
        reverse(name, kwargs={"object_id": quiz.pk}),
        reverse(name, kwargs={"object_id": MISSING_INT}),
        methods=("get", "post"),
    )


def test_import_page_writes_only_into_the_users_tenant(world, client_for):
    client_for(world.other_admin).post(
        IMPORT_URL, {"file": SimpleUploadedFile("bank.gift", GOOD_GIFT), "format": "gift"}
    )
    assert set(Question.objects.values_list("tenant_id", flat=True)) == {world.other_tenant.pk}
    assert not QuestionCategory.objects.filter(tenant=world.tenant).exists()


def test_import_form_offers_only_own_tenant_categories(world, client_for):
    own = CategoryFactory(tenant=world.tenant, name="Mine")
    foreign = CategoryFactory(tenant=world.other_tenant, name="Theirs")
    client = client_for(world.trainer)
    assert list(client.get(IMPORT_URL).context["form"].fields["category"].queryset) == [own]
    response = client.post(
        IMPORT_URL,
        {
            "file": SimpleUploadedFile("bank.gift", GOOD_GIFT),
            "format": "gift",
            "category": foreign.pk,
        },
    )
    assert "category" in response.context["form"].errors
    assert not Question.objects.exists()


def test_import_errors_are_shown_in_chinese(world, client_for):
    client = client_for(world.trainer)
    client.cookies["django_language"] = "zh-hans"
    response = client.post(
        IMPORT_URL,
        {"file": SimpleUploadedFile("bad.gift", BAD_GIFT), "format": "gift"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    html = response.content.decode()
    assert "第 3 行" in html and "没有正确答案。" in html
    assert not Question.objects.exists()


def test_admin_refuses_a_question_without_a_correct_answer(world, client_for):
    category = CategoryFactory(tenant=world.tenant)
    response = client_for(world.trainer).post(
        "/admin/training/question/add/",
        {
            "category": category.pk,
            "qtype": "single",
            "points": "1",
            "text": "Which?",
            "tolerance": "0",
            "choices-TOTAL_FORMS": "2",
            "choices-INITIAL_FORMS": "0",
            "choices-0-position": "0",
            "choices-0-text": "A",
            "choices-0-fraction": "0",
            "choices-1-position": "1",
            "choices-1-text": "B",
            "choices-1-fraction": "0.5",
        },
    )
    assert response.status_code == 200
    assert "There is no correct answer (one answer must be worth 100%)." in (
        response.content.decode()
    )
    assert not Question.objects.exists()


def test_question_autocomplete_offers_only_own_tenant_questions(world, client_for):
    own = make_question(CategoryFactory(tenant=world.tenant), text="Roaming own", choices=[])
    make_question(CategoryFactory(tenant=world.other_tenant), text="Roaming foreign", choices=[])
    response = client_for(world.trainer).get(
        "/admin/autocomplete/",
        {
            "app_label": "training",
            "model_name": "quizquestion",
            "field_name": "question",
            "term": "Roaming",
        },
    )
    assert [r["id"] for r in response.json()["results"]] == [str(own.pk)]


def test_export_takes_a_constant_number_of_queries(world, django_assert_num_queries):
    from training.imports import export_questions

    category = CategoryFactory(tenant=world.tenant)
    few = [make_question(category, choices=[("a", 1), ("b", 0)]) for _ in range(2)]
    many = few + [make_question(category, choices=[("a", 1), ("b", 0)]) for _ in range(8)]
    for questions in (few, many):
        with django_assert_num_queries(2):
            export_questions(tenant=world.tenant, questions=questions, fmt="gift")


@pytest.mark.parametrize("model", ["question", "quiz", "curriculum", "attempt", "enrollment"])
def test_changelists_take_the_same_number_of_queries_for_more_rows(model, world, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import MembershipFactory
    from training.attempts import start_attempt
    from training.services import enroll_agents

    client = client_for(world.trainer)
    agents = [MembershipFactory(tenant=world.tenant, team=world.team) for _ in range(6)]

    def add_rows(n):
        for _ in range(n):
            quiz = make_quiz(world.tenant, n_questions=1)
            member = agents.pop()
            start_attempt(quiz=quiz, membership=member)
            enroll_agents(
                tenant=world.tenant,
                curricula=[quiz.curriculum],
                memberships=[member],
                assigned_by=None,
                due_at=None,
            )

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/admin/training/{model}/").status_code == 200
        return len(queries)

    add_rows(1)
    few = count()
    add_rows(5)
    assert count() == few
