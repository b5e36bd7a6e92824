#!/usr/bin/env bash
# Set up, migrate, seed the demo and serve on http://127.0.0.1:8000 (tasks run eagerly). Without
# DATABASE_URL the data lives in the embedded PostgreSQL server's .pgdata/, reused by the next run;
# it stops when runserver does.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DEBUG=${DEBUG:-true}
.venv/bin/python manage.py compile_catalogues
.venv/bin/python manage.py migrate --noinput
# The demo writes notification mails; keep them in memory so the logins stay readable.
EMAIL_BACKEND=${EMAIL_BACKEND:-django.core.mail.backends.locmem.EmailBackend} .venv/bin/python manage.py seed_demo
exec .venv/bin/python manage.py runserver 127.0.0.1:8000
