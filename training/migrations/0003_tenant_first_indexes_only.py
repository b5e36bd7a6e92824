"""Tenant-scoped tables keep only indexes that start with the tenant (tenants.checks)."""

from django.db import migrations, models

from tenants.migration_ops import tenant_key_without_index


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0002_tenant_first_indexes_only"),
        ("training", "0002_lesson_search_index"),
    ]

    operations = [
        tenant_key_without_index("training", "attempt"),
        tenant_key_without_index("training", "attemptanswer"),
        tenant_key_without_index("training", "choice"),
        tenant_key_without_index("training", "curriculum"),
        tenant_key_without_index("training", "enrollment"),
        tenant_key_without_index("training", "industry"),
        tenant_key_without_index("training", "lesson"),
        tenant_key_without_index("training", "lessoncompletion"),
        tenant_key_without_index("training", "question"),
        tenant_key_without_index("training", "questioncategory"),
        tenant_key_without_index("training", "quiz"),
        tenant_key_without_index("training", "quizquestion"),
        tenant_key_without_index("training", "quizrandomrule"),
        migrations.AddIndex(
            model_name="choice",
            index=models.Index(fields=["tenant", "question"], name="choice_tenant_question"),
        ),
        migrations.AddIndex(
            model_name="quiz",
            index=models.Index(fields=["tenant", "curriculum"], name="quiz_tenant_curriculum"),
        ),
        migrations.AddIndex(
            model_name="quizquestion",
            index=models.Index(fields=["tenant", "quiz"], name="quizquestion_tenant_quiz"),
        ),
        migrations.AddIndex(
            model_name="quizrandomrule",
            index=models.Index(fields=["tenant", "quiz"], name="randomrule_tenant_quiz"),
        ),
    ]
