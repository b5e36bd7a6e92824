"""Admin pages for trainers and tenant admins: content, question bank (with import/export),
quizzes (with "preview as trainee"), and read-only enrollments and attempts.

Every page is tenant-scoped by ``TenantModelAdmin`` / ``TenantInlineMixin``; state changes that
have a service (publishing, new versions, imports) go through it."""

from __future__ import annotations

import random

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from tenants.admin_site import admin_site
from tenants.mixins import ReadOnlyTenantAdmin, TenantInlineMixin, TenantModelAdmin
from tenants.models import Role

from . import formats
from .attempts import deal_questions, public_question
from .formats.common import TYPES, ParsedChoice, ParsedQuestion, validate
from .imports import QuestionImportRejected, check_size, export_questions, import_questions
from .models import (
    Attempt,
    Choice,
    Curriculum,
    Enrollment,
    Industry,
    Lesson,
    Question,
    QuestionCategory,
    Quiz,
    QuizQuestion,
    QuizRandomRule,
)
from .services import new_curriculum_version, publish_curriculum

CONTENT_ROLES = {Role.TENANT_ADMIN, Role.TRAINER}


class ContentAdmin(TenantModelAdmin):
    """Training content: trainers and tenant admins may edit it."""

    admin_roles = CONTENT_ROLES


class ReadOnlyAdmin(ReadOnlyTenantAdmin):
    """Records that only services write: trainers and tenant admins may look, nobody edits."""

    admin_roles: set[str] = set()
    read_roles = CONTENT_ROLES


class TenantInline(TenantInlineMixin):
    exclude = ["tenant"]
    extra = 0


@admin.register(Industry, site=admin_site)
class IndustryAdmin(ContentAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


class LessonInline(TenantInline, admin.StackedInline):
    model = Lesson
    fields = [("position", "kind", "estimated_minutes"), "title", "body"]


@admin.register(Curriculum, site=admin_site)
class CurriculumAdmin(ContentAdmin):
    list_display = ["title", "code", "version", "industry", "status", "requires_recertification"]
    list_filter = ["status", "industry"]
    search_fields = ["title", "code"]
    list_select_related = ["industry"]
    readonly_fields = ["version", "status", "published_at"]
    fields = [
        "industry",
        "code",
        "version",
        "title",
        "description",
        "estimated_minutes",
        "requires_recertification",
        "status",
        "published_at",
    ]
    inlines = [LessonInline]
    actions = ["publish", "new_version"]

    @admin.action(description=_("Publish the selected versions"))
    def publish(self, request, queryset):
        for curriculum in queryset:
            try:
                publish_curriculum(curriculum=curriculum)
            except DomainError as exc:
                messages.error(request, f"{curriculum}: {exc.message}")
            else:
                messages.success(request, _("Published %(name)s.") % {"name": curriculum})

    @admin.action(description=_("Start a new draft version"))
    def new_version(self, request, queryset):
        for curriculum in queryset:
            try:
                draft = new_curriculum_version(curriculum=curriculum)
            except DomainError as exc:
                messages.error(request, f"{curriculum}: {exc.message}")
            else:
                messages.success(request, _("Created draft %(name)s.") % {"name": draft})


@admin.register(QuestionCategory, site=admin_site)
class QuestionCategoryAdmin(ContentAdmin):
    list_display = ["name", "industry"]
    list_filter = ["industry"]
    search_fields = ["name"]
    list_select_related = ["industry"]


class ChoiceFormSet(BaseInlineFormSet):
    """The same checks as an import (a correct answer, fractions, at most 100 answers), so a
    question edited here is one the importers and the grader accept."""

    def clean(self):
        super().clean()
        question = self.instance
        if any(self.errors) or question.qtype not in TYPES or question.points is None:
            return
        choices = [
            ParsedChoice(f.cleaned_data["text"], f.cleaned_data["fraction"])
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        problems = validate(
            ParsedQuestion(
                qtype=question.qtype,
                text=question.text or "",
                points=question.points,
                numeric_answer=question.numeric_answer,
                tolerance=question.tolerance or 0,
                choices=choices,
            )
        )
        if problems:
            raise forms.ValidationError([p.message for p in problems])


class ChoiceInline(TenantInline, admin.TabularInline):
    model = Choice
    formset = ChoiceFormSet
    fields = ["position", "text", "fraction", "feedback"]
    extra = 2


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File"))
    format = forms.ChoiceField(label=_("Format"), choices=formats.FORMAT_CHOICES)
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=QuestionCategory.objects.none(),
        required=False,
        help_text=_("Put every question here. Leave empty to use the categories in the file."),
    )
    new_category = forms.CharField(label=_("Or a new category"), max_length=120, required=False)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = QuestionCategory.objects.for_tenant(tenant)

    def clean(self):
        data = super().clean()
        if data.get("category") and data.get("new_category"):
            raise forms.ValidationError(_("Choose a category or name a new one, not both."))
        return data

    def category_name(self) -> str | None:
        chosen = self.cleaned_data.get("category")
        return chosen.name if chosen else (self.cleaned_data.get("new_category") or None)


def _export_action(fmt: str):
    label, _module, extension, content_type = formats.FORMATS[fmt]

    def action(modeladmin, request, queryset):
        if getattr(request, "tenant", None) is None:
            messages.error(request, _("Switch to a tenant to export its questions."))
            return None
        data = export_questions(tenant=request.tenant, questions=queryset, fmt=fmt)
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="questions.{extension}"'
        return response

    action.__name__ = f"export_{fmt}"
    return admin.action(description=_("Export as %(format)s") % {"format": label})(action)


@admin.register(Question, site=admin_site)
class QuestionAdmin(ContentAdmin):
    list_display = ["__str__", "qtype", "category", "points"]
    list_filter = ["qtype", "category"]
    search_fields = ["name", "text"]
    list_select_related = ["category"]
    fields = [
        "category",
        ("qtype", "points", "partial_credit"),
        "name",
        "text",
        "explanation",
        ("numeric_answer", "tolerance"),
    ]
    inlines = [ChoiceInline]
    actions = [_export_action(fmt) for fmt in formats.FORMATS]
    change_list_template = "admin/training/question/change_list.html"

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="training_question_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a question file; on any error nothing is imported and every error is shown."""
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            raise Http404
        if not self.has_add_permission(request):
            raise PermissionDenied
        errors = []
        form = ImportForm(request.POST or None, request.FILES or None, tenant=tenant)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                check_size(upload.size)
                result = import_questions(
                    tenant=tenant,
                    data=upload.read(),
                    fmt=form.cleaned_data["format"],
                    category_name=form.category_name(),
                    actor=getattr(request, "membership", None),
                )
            except QuestionImportRejected as exc:
                errors = exc.errors
                messages.error(request, exc.message)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Imported %(count)d question(s) into %(categories)s.")
                    % {"count": result.created, "categories": ", ".join(result.categories)},
                )
                return redirect(reverse("admin:training_question_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import questions"),
            "form": form,
            "errors": errors,
        }
        return TemplateResponse(request, "admin/training/question/import.html", context)


class QuizQuestionInline(TenantInline, admin.TabularInline):
    model = QuizQuestion
    fields = ["position", "question"]
    autocomplete_fields = ["question"]
    verbose_name = _("fixed question")
    verbose_name_plural = _("fixed questions")


class QuizRandomRuleInline(TenantInline, admin.TabularInline):
    model = QuizRandomRule
    fields = ["category", "count"]


@admin.register(Quiz, site=admin_site)
class QuizAdmin(ContentAdmin):
    list_display = ["title", "curriculum", "pass_mark_percent", "time_limit_minutes"]
    list_filter = ["curriculum"]
    search_fields = ["title"]
    list_select_related = ["curriculum"]
    inlines = [QuizQuestionInline, QuizRandomRuleInline]
    change_form_template = "admin/training/quiz/change_form.html"

    def get_urls(self):
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="training_quiz_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        """What a trainee would be dealt now: no attempt is created and no answer is shown."""
        quiz = self.get_object(request, object_id)
        if quiz is None:
            raise Http404
        if not self.has_view_permission(request, quiz):
            raise PermissionDenied
        items = [public_question(item) for item in deal_questions(quiz=quiz, rng=random.Random())]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": quiz,
            "quiz": quiz,
            "items": items,
            "title": _("Preview as trainee: %(quiz)s") % {"quiz": quiz},
        }
        return TemplateResponse(request, "admin/training/quiz/preview.html", context)


@admin.register(Enrollment, site=admin_site)
class EnrollmentAdmin(ReadOnlyAdmin):
    list_display = ["membership", "curriculum", "due_at", "completed_at", "created_at"]
    list_filter = ["curriculum"]
    search_fields = ["membership__user__username", "membership__employee_id"]
    list_select_related = ["membership__user", "curriculum"]


@admin.register(Attempt, site=admin_site)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ["membership", "quiz", "number", "state", "percent", "passed", "started_at"]
    list_filter = ["state", "passed", "quiz"]
    search_fields = ["membership__user__username", "membership__employee_id"]
    list_select_related = ["membership__user", "quiz"]
    exclude = ["dealt"]
