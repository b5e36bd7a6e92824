from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .models import User


class SwitchTenantForm(forms.Form):
    tenant = forms.IntegerField(label=_("Tenant"), min_value=1)


class LoginForm(AuthenticationForm):
    """Django's login form sets the username's max_length after the field is built, so the
    limit is never checked: an over-long name reached authentication, and the failed-login
    record (django-axes, 255 characters) failed in the database, a 500. Refused here like
    any other invalid name, before anything is looked up or written."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        limit = User._meta.get_field(User.USERNAME_FIELD).max_length
        self.fields["username"].validators.append(MaxLengthValidator(limit))
