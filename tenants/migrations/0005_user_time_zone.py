"""A person's own time zone (blank: the tenant's). The column defaults to '' in the database
too, so rows inserted by SQL (bulk loads, the benchmarks' data set) need no value."""

from django.db import migrations, models

import tenants.models


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0004_tenant_keys_and_known_values"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="time_zone",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="Leave empty to use the time zone of the tenant you are working in.",
                max_length=64,
                validators=[tenants.models.validate_time_zone],
                verbose_name="time zone",
            ),
        ),
    ]
