"""skillgate.localdb: the embedded server's URL reaches Django whole, and killed holders of the
server are forgotten (the suite itself runs on the embedded server when DATABASE_URL is unset)."""

import json
import os
import subprocess
import sys
import time

import dj_database_url

from skillgate import localdb


def test_the_socket_directory_reaches_django_as_host():
    parsed = dj_database_url.parse(localdb.url("/srv/skill gate/.pgdata", "skillgate"))
    assert parsed["HOST"] == "/srv/skill gate/.pgdata"
    assert (parsed["NAME"], parsed["USER"], parsed["PORT"]) == ("skillgate", "postgres", "")
    assert "OPTIONS" not in parsed or "host" not in parsed["OPTIONS"]


def test_processes_that_died_holding_the_server_are_forgotten(tmp_path):
    import psutil

    unreaped = subprocess.Popen([sys.executable, "-c", "pass"])  # a zombie until waited for
    deadline = time.monotonic() + 10
    while psutil.Process(unreaped.pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    holders = tmp_path / ".handle_pids.json"
    holders.write_text(json.dumps([os.getpid(), unreaped.pid, _dead_pid()]))
    localdb._forget_dead_holders(tmp_path)
    unreaped.wait()
    assert json.loads(holders.read_text()) == [os.getpid()]


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], stdout=subprocess.PIPE
    )
    return int(done.stdout)
