"""Forms of the training pages."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.bounds import validate_date_in_range
from core.widgets import DatePicker


class AssignForm(forms.Form):
    curricula = forms.ModelMultipleChoiceField(
        label=_("Curricula"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    agents = forms.ModelMultipleChoiceField(
        label=_("Agents"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Whole teams"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every active agent of the team is assigned."),
    )
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=DatePicker(),
        validators=[validate_date_in_range],
        help_text=_("Due at the end of this day. Leave empty for no due date."),
    )

    def __init__(self, *args, curricula, agents, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["curricula"].queryset = curricula
        self.fields["agents"].queryset = agents
        self.fields["agents"].label_from_instance = lambda m: f"{m.user} · {m.employee_id}"
        self.fields["teams"].queryset = teams

    def clean(self):
        data = super().clean()
        if not data.get("agents") and not data.get("teams"):
            raise forms.ValidationError(_("Choose at least one agent or team."))
        return data

    @property
    def due_at(self) -> datetime | None:
        day = self.cleaned_data.get("due_date")
        if day is None:
            return None
        # The end of the day where the person assigning it is (the active time zone).
        return datetime.combine(day, time(23, 59), tzinfo=timezone.get_current_timezone())
