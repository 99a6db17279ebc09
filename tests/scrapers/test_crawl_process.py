"""`prodseg crawl` as real processes: its crawler child ends with it, and one crawl of a site at a time."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli_process import cli_command, cli_env
from tests.scrapers.trap_site import trap_site

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table in /proc")


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return fields[0], int(fields[1])


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"  # a zombie has ended; only its exit status is left


def _wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _crawler_child(parent: subprocess.Popen) -> int | None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (_stat(int(entry.name)) or ("", 0))[1] == parent.pid:
            try:
                if b"scrapers.run" in (entry / "cmdline").read_bytes():
                    return int(entry.name)
            except FileNotFoundError:
                continue
    return None


@pytest.fixture
def slow_crawl(tmp_path):
    """Start `prodseg crawl` on a slow trap site; yields the parent process, the crawler child's pid,
    the command and the parent's log."""
    with trap_site(delay=0.3) as site:
        command = cli_command("--var", str(tmp_path / "var"), "--data", str(tmp_path / "data"),
                              "--set", "crawl.max_minutes=10", "crawl", "--site", str(site.site_yaml(tmp_path)))
        log = tmp_path / "crawl.log"  # a file, not a pipe: nobody reads a pipe while the test waits
        with open(log, "w") as out:
            parent = subprocess.Popen(command, env=cli_env(), stdout=out, stderr=subprocess.STDOUT)
        try:
            child = _wait_for(lambda: _crawler_child(parent) or parent.poll() is not None, 120, "the crawler child")
            assert parent.poll() is None, log.read_text()
            yield parent, child, command, log
        finally:
            parent.kill()
            parent.wait()


def test_a_second_crawl_of_the_site_refuses_and_a_killed_crawl_takes_its_child_along(slow_crawl):
    parent, child, command, _ = slow_crawl
    second = subprocess.run(command, env=cli_env(), capture_output=True, text=True, timeout=120)
    assert second.returncode == 1
    assert f"another crawl of site 'trap' is running (pid {parent.pid}" in second.stderr
    assert "Traceback" not in second.stderr

    parent.kill()  # SIGKILL: the parent gets no chance to stop its child
    parent.wait()
    _wait_for(lambda: not _alive(child), 10, f"the orphaned crawler {child} to end")

    at = command.index("crawl")  # the lock died with them: the next crawl runs (a short one)
    again = subprocess.run([*command[:at], "--set", "crawl.max_pages=5", *command[at:]], env=cli_env(),
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "stopped early by crawl.max_pages=5" in again.stdout, again.stderr


def test_sigterm_stops_the_crawl_and_its_child(slow_crawl):
    parent, child, _, log = slow_crawl
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=60) == 1
    assert "prodseg crawl: crawler exited with" in log.read_text()
    assert not _alive(child)
