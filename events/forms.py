from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput

from .addresses import webhook_target
from .models import WebhookEndpoint


class WebhookEndpointForm(forms.ModelForm):
    """The admin's endpoint form. A new or changed URL must pass the same check as the service
    (``addresses.webhook_target``), its message shown on the field with the check's code."""

    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ["tenant", "url", "event_types", "active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if self.instance.pk is not None and url == self.instance.url:
            return url  # unchanged: see services.update_webhook_endpoint
        try:
            webhook_target(url)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        return url
