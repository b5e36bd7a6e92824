"""Reminders on a schedule per skill group (e.g. 60, 30 and 7 days before expiry), each sent
once per validity period: the schedule replaces the single reminder day, and a certification
remembers the latest reminder it was sent."""

import certification.models
import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('certification', '0011_tenant_keys_and_known_values'),
        ('tenants', '0004_tenant_keys_and_known_values'),
        ('training', '0004_tenant_keys_and_known_values'),
    ]

    operations = [
        migrations.AddField(
            model_name='certification',
            name='reminder_days',
            field=models.PositiveSmallIntegerField(blank=True, help_text='The latest reminder of the schedule sent in the current validity period.', null=True, verbose_name='last reminder (days before expiry)'),
        ),
        migrations.AddField(
            model_name='skillgroup',
            name='reminder_schedule',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.PositiveSmallIntegerField(), blank=True, default=certification.models.default_reminder_schedule, help_text='Days before expiry on which the agent is reminded, comma-separated (e.g. 60,30,7); each is sent once per validity period. Empty: no reminders.', size=None, validators=[certification.models.validate_reminder_schedule], verbose_name='reminders before expiry (days)'),
        ),
        # A skill group keeps its one reminder as a schedule of one (an out-of-range value means
        # none); a certification already reminded under it is not reminded again this period.
        migrations.RunSQL(
            sql="""
                UPDATE certification_skillgroup
                   SET reminder_schedule = CASE WHEN reminder_days BETWEEN 1 AND 365
                                                THEN ARRAY[reminder_days]::smallint[]
                                                ELSE ARRAY[]::smallint[] END;
                UPDATE certification_certification c
                   SET reminder_days = LEAST(g.reminder_days, 32767)
                  FROM certification_skillgroup g
                 WHERE g.id = c.skill_group_id AND g.tenant_id = c.tenant_id
                   AND c.reminded_at IS NOT NULL;
            """,
            reverse_sql="""
                UPDATE certification_skillgroup
                   SET reminder_days = COALESCE(
                       (SELECT max(d) FROM unnest(reminder_schedule) d), 30);
            """,
        ),
        migrations.RemoveField(
            model_name='skillgroup',
            name='reminder_days',
        ),
        migrations.AlterField(
            model_name='certification',
            name='reminded_at',
            field=models.DateTimeField(blank=True, help_text='The first expiry reminder of the current validity period.', null=True, verbose_name='reminded at'),
        ),
        migrations.AddConstraint(
            model_name='skillgroup',
            constraint=models.CheckConstraint(condition=models.Q(('reminder_schedule__len__lte', 5), certification.models.AllBetween('reminder_schedule', high=365, low=1)), name='skillgroup_reminder_schedule'),
        ),
    ]
