"""Tenant-isolation declarations of the shell (URLs of skillgate/urls.py and Django's own)."""

# Every URL without an object id is fetched by each persona of tenant A (and its API key) once
# per query below, after tenant B's rows were given distinctive values: {url name: [query]}. A
# query is a dict or a function of the check's context (``ctx.own``, ``ctx.foreign``).
LIST_URLS = {
    "dashboard": [{}],
    "healthz": [{}],
    "login": [{}],
    "logout": [{}],
    "password_change": [{}],
    "password_change_done": [{}],
    "password_reset": [{}],
    "password_reset_done": [{}],
    "password_reset_complete": [{}],
    "set_language": [{}],
    "javascript-catalog": [{}],
    "schema": [{}],
    "api-docs": [{}],
}

# {url name: ctx.own -> a value the page must show to at least one persona}: the lists are not
# empty, so "no foreign row" says something.
OWN_ROWS_SHOWN = {
    "dashboard": lambda own: own.curriculum.title,
}
