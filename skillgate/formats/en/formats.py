"""English formats with a 24-hour clock: shifts, deadlines and due times in a contact centre
are written 17:00, not "5 p.m." (Django's US default), and the Chinese interface already uses
24 hours (docs/decisions/time.md). Dates keep Django's English formats."""

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "N j, Y, H:i"
SHORT_DATETIME_FORMAT = "m/d/Y H:i"
