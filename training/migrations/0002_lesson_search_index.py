"""GIN index for knowledge search (the expression matches ``training.selectors.search_articles``)."""

from django.db import migrations

INDEX = "lesson_search_simple"
EXPRESSION = (
    "to_tsvector('simple'::regconfig, "
    "((COALESCE(title, ''::character varying))::text || ' '::text) || COALESCE(body, ''::text))"
)


def create(apps, schema_editor):
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON training_lesson USING gin ({EXPRESSION})"
    )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("training", "0001_content_quizzes_attempts")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
