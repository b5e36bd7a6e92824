from datetime import datetime, time, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from skillgate.errors import InvalidInput

from . import services
from .models import WebhookEndpoint


class WindowForm(forms.Form):
    """A shift window in the tenant's time zone: one day, a start and an end time (an end at or
    before the start means the shift runs past midnight)."""

    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(
        label=_("From"), initial=time(9), widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(
        label=_("To"), initial=time(17), widget=forms.TimeInput(attrs={"type": "time"})
    )

    def window(self, tz) -> tuple[datetime, datetime]:
        day = self.cleaned_data["day"]
        start = datetime.combine(day, self.cleaned_data["start"], tzinfo=tz)
        end = datetime.combine(day, self.cleaned_data["end"], tzinfo=tz)
        if end <= start:
            end += timedelta(days=1)
        return start, end


class AddShiftForm(WindowForm):
    agent = forms.ChoiceField(label=_("Eligible agent"))

    def __init__(self, *args, agents=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The window was chosen in the form above; here it only travels along.
        for name in ("day", "start", "end"):
            self.fields[name].widget = forms.HiddenInput()
        self.fields["agent"].choices = [
            (c.membership.employee_id, f"{c.membership.user} ({c.membership.employee_id})")
            for c in agents
        ]


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class WebhookEndpointForm(forms.ModelForm):
    """The admin's endpoint form. A new or changed URL must pass the same check as the service
    (``services.webhook_target``), its message shown on the field with the check's code."""

    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ["tenant", "url", "event_types", "active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if self.instance.pk is not None and url == self.instance.url:
            return url  # unchanged: see services.update_webhook_endpoint
        try:
            services.webhook_target(url)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        return url
