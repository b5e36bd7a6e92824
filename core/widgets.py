"""The browser's date and time pickers as form widgets.

``<input type="date">`` and ``<input type="time">`` exchange ISO values (2026-12-07, 17:00)
whatever the page's language, and the browser shows them in its own locale's format. Django
renders a widget's initial value with the first input format of the active language, which
for Chinese is 2026/12/07: a date input rejects that and shows an empty field. These widgets
always render the ISO value.
"""

from django import forms


class DatePicker(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TimePicker(forms.TimeInput):
    """A 24-hour value (17:00); minutes only, as shifts and deadlines are set."""

    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")
