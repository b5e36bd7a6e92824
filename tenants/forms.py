from django import forms
from django.utils.translation import gettext_lazy as _

from .timezones import time_zone_choices


class SwitchTenantForm(forms.Form):
    tenant = forms.IntegerField(label=_("Tenant"), min_value=1)


class PreferencesForm(forms.Form):
    """A person's own settings; an empty time zone follows the tenant's."""

    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    def __init__(self, *args, tenant_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        follow = _("The tenant's time zone (%(zone)s)") % {"zone": tenant_zone}
        self.fields["time_zone"].choices = [("", follow), *time_zone_choices()]
        self.fields["time_zone"].help_text = _(
            "Every date and time you see is shown in this zone, and times you enter are read in it."
        )
