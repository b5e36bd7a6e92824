from datetime import datetime, time, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from core.bounds import validate_date_in_range
from core.widgets import DatePicker, TimePicker


class WindowForm(forms.Form):
    """A shift window in the viewer's time zone (activated per request): one day, a start and
    an end time (an end at or before the start means the shift runs past midnight)."""

    day = forms.DateField(
        label=_("Day"),
        widget=DatePicker(),
        validators=[validate_date_in_range],
    )
    start = forms.TimeField(label=_("From"), initial=time(9), widget=TimePicker())
    end = forms.TimeField(label=_("To"), initial=time(17), widget=TimePicker())

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
