from django import forms
from django.utils.translation import gettext_lazy as _


class SwitchTenantForm(forms.Form):
    tenant = forms.IntegerField(label=_("Tenant"), min_value=1)
