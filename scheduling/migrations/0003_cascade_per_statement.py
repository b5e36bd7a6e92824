"""The certification cascade as one statement trigger on PostgreSQL: see scheduling/dbguard.py.

Going back keeps it: the statement trigger cancels exactly what the row trigger did."""

from django.db import migrations

from scheduling import dbguard


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_assignment_guard_triggers")]

    operations = [
        migrations.RunPython(
            dbguard.install_statement_cascade, migrations.RunPython.noop, elidable=False
        )
    ]
