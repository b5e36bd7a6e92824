from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .models import User
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


class LoginForm(AuthenticationForm):
    """Django's login form sets the username's max_length after the field is built, so the
    limit is never checked: an over-long name reached authentication, and the failed-login
    record (django-axes, 255 characters) failed in the database, a 500. Refused here like
    any other invalid name, before anything is looked up or written."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        limit = User._meta.get_field(User.USERNAME_FIELD).max_length
        self.fields["username"].validators.append(MaxLengthValidator(limit))
