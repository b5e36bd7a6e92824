"""skillgate.localdb: the embedded server's URL reaches Django whole, and killed holders of the
server are forgotten (the suite itself runs on the embedded server when DATABASE_URL is unset)."""

import json
import os
import subprocess
import sys

import dj_database_url

from skillgate import localdb


def test_the_socket_directory_reaches_django_as_host():
    parsed = dj_database_url.parse(localdb.url("/srv/skill gate/.pgdata", "skillgate"))
    assert parsed["HOST"] == "/srv/skill gate/.pgdata"
    assert (parsed["NAME"], parsed["USER"], parsed["PORT"]) == ("skillgate", "postgres", "")
    assert "OPTIONS" not in parsed or "host" not in parsed["OPTIONS"]


def test_processes_that_died_holding_the_server_are_forgotten(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], stdout=subprocess.PIPE
    )
    holders = tmp_path / ".handle_pids.json"
    alive = os.getpid()
    holders.write_text(json.dumps([alive, int(dead.stdout)]))
    localdb._forget_dead_holders(tmp_path)
    assert json.loads(holders.read_text()) == [alive]
