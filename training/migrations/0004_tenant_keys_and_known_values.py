"""Training content, enrolments and attempts reference rows of their own tenant only
(tenants/dbkeys.py); choice columns refuse values outside their known set."""

from django.db import migrations, models

from tenants.dbkeys import same_tenant


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0004_tenant_keys_and_known_values"),
        ("training", "0003_tenant_first_indexes_only"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="attempt",
            constraint=models.UniqueConstraint(fields=("tenant", "id"), name="attempt_tenant_row"),
        ),
        migrations.AddConstraint(
            model_name="attempt",
            constraint=models.CheckConstraint(
                condition=models.Q(("state__in", ["in_progress", "graded", "expired"])),
                name="attempt_state_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="curriculum",
            constraint=models.UniqueConstraint(
                fields=("tenant", "id"), name="curriculum_tenant_row"
            ),
        ),
        migrations.AddConstraint(
            model_name="curriculum",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["draft", "published", "retired"])),
                name="curriculum_status_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="industry",
            constraint=models.UniqueConstraint(fields=("tenant", "id"), name="industry_tenant_row"),
        ),
        migrations.AddConstraint(
            model_name="lesson",
            constraint=models.UniqueConstraint(fields=("tenant", "id"), name="lesson_tenant_row"),
        ),
        migrations.AddConstraint(
            model_name="lesson",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["lesson", "article"])), name="lesson_kind_known"
            ),
        ),
        migrations.AddConstraint(
            model_name="question",
            constraint=models.UniqueConstraint(fields=("tenant", "id"), name="question_tenant_row"),
        ),
        migrations.AddConstraint(
            model_name="question",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("qtype__in", ["single", "multiple", "truefalse", "short", "numeric"])
                ),
                name="question_type_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="questioncategory",
            constraint=models.UniqueConstraint(
                fields=("tenant", "id"), name="questioncategory_tenant_row"
            ),
        ),
        migrations.AddConstraint(
            model_name="quiz",
            constraint=models.UniqueConstraint(fields=("tenant", "id"), name="quiz_tenant_row"),
        ),
        migrations.AddConstraint(
            model_name="quiz",
            constraint=models.CheckConstraint(
                condition=models.Q(("review_policy__in", ["score", "answers", "explanations"])),
                name="quiz_review_known",
            ),
        ),
        same_tenant("training_curriculum", "industry_id", "training_industry"),
        same_tenant("training_lesson", "curriculum_id", "training_curriculum"),
        same_tenant("training_questioncategory", "industry_id", "training_industry"),
        same_tenant("training_question", "category_id", "training_questioncategory"),
        same_tenant("training_choice", "question_id", "training_question"),
        same_tenant("training_quiz", "curriculum_id", "training_curriculum"),
        same_tenant("training_quizquestion", "quiz_id", "training_quiz"),
        same_tenant("training_quizquestion", "question_id", "training_question"),
        same_tenant("training_quizrandomrule", "quiz_id", "training_quiz"),
        same_tenant("training_quizrandomrule", "category_id", "training_questioncategory"),
        same_tenant("training_enrollment", "membership_id", "tenants_membership"),
        same_tenant("training_enrollment", "curriculum_id", "training_curriculum"),
        same_tenant("training_enrollment", "assigned_by_id", "tenants_membership"),
        same_tenant("training_lessoncompletion", "membership_id", "tenants_membership"),
        same_tenant("training_lessoncompletion", "lesson_id", "training_lesson"),
        same_tenant("training_attempt", "quiz_id", "training_quiz"),
        same_tenant("training_attempt", "membership_id", "tenants_membership"),
        same_tenant("training_attemptanswer", "attempt_id", "training_attempt"),
    ]
