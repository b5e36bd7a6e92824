"""An enrolment assigned again to recertify counts only the quiz passes from that moment."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('training', '0004_tenant_keys_and_known_values'),
    ]

    operations = [
        migrations.AddField(
            model_name='enrollment',
            name='passes_from',
            field=models.DateTimeField(blank=True, help_text='Set when the curriculum is assigned again to recertify: only quizzes passed from then on count towards it (lessons read once stay read).', null=True, verbose_name='counts quiz passes from'),
        ),
    ]
