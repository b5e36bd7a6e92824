from django import forms
from django.utils.translation import gettext_lazy as _

from core.bounds import validate_date_in_range
from core.widgets import DatePicker

from .selectors import MATRIX_STATES


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you reject."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class MatrixFilterForm(forms.Form):
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    group = forms.TypedChoiceField(
        label=_("Skill group"), required=False, coerce=int, empty_value=None
    )
    state = forms.ChoiceField(label=_("Status"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args, teams=(), groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", _("All teams"))] + [(t.pk, t.name) for t in teams]
        self.fields["group"].choices = [("", _("All skill groups"))] + [
            (g.pk, g.name) for g in groups
        ]
        labels = {
            "active": _("Active"),
            "expiring": _("Expiring"),
            "pending": _("Pending approval"),
            "progress": _("In progress"),
            "none": _("Not started"),
        }
        self.fields["state"].choices = [("", _("Any status"))] + [
            (s, labels[s]) for s in MATRIX_STATES
        ]


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        widget=DatePicker(),
        validators=[validate_date_in_range],
    )
    end = forms.DateField(
        label=_("To (inclusive)"),
        widget=DatePicker(),
        validators=[validate_date_in_range],
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The end of the period is before its start."))
        return data
