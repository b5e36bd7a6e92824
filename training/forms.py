"""Forms of the training pages."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time

from django import forms
from django.utils.translation import gettext_lazy as _

from core.bounds import validate_date_in_range


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
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_date_in_range],
        help_text=_("Due at the end of this day. Leave empty for no due date."),
    )

    def __init__(self, *args, curricula, agents, teams, time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["curricula"].queryset = curricula
        self.fields["agents"].queryset = agents
        self.fields["agents"].label_from_instance = lambda m: f"{m.user} · {m.employee_id}"
        self.fields["teams"].queryset = teams
        self.time_zone = time_zone

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
        return datetime.combine(day, time(23, 59), tzinfo=zoneinfo.ZoneInfo(self.time_zone))
