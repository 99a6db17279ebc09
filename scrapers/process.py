"""The crawler child process: tied to its parent, and one per site at a time.

``run_crawl`` starts ``python -m scrapers.run`` as a child (see run.py). A child
left behind by a killed parent would keep crawling and writing the journal
beside the next run, so: the parent forwards SIGTERM/SIGINT to it, the child
dies with its parent (``tie_to_parent``), and a lock per site, held by both,
keeps a second crawl of the site from starting while either lives.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PARENT_ENV = "PRODSEG_CRAWL_PARENT"   # the parent's pid, for the child to watch
_PR_SET_PDEATHSIG = 1                 # from <linux/prctl.h>
_STOP_GRACE_S = 30                    # a stopped child finishes its in-flight requests first


class CrawlBusy(RuntimeError):
    """Another crawl of the same site is running."""


@contextmanager
def site_lock(state_dir: Path, site: str) -> Iterator[int]:
    """Hold ``<state_dir>/crawl.lock`` (flock) for the block; yields its fd for the child to inherit."""
    path = Path(state_dir) / "crawl.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise CrawlBusy(f"another crawl of site {site!r} is running (pid {holder}; lock {path}); "
                            "wait for it to end or stop it, then crawl again") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield fd
    finally:
        os.close(fd)  # the lock is released once the child, which shares it, has exited too


@contextmanager
def _forwarding_signals(proc: subprocess.Popen) -> Iterator[list[float]]:
    """SIGTERM/SIGINT to this process go to the child, which stops gracefully; yields when they came."""
    asked: list[float] = []
    if threading.current_thread() is not threading.main_thread():
        yield asked  # handlers can only be set in the main thread; the child still dies with us
        return

    def forward(signum, _frame):
        asked.append(time.monotonic())
        proc.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield asked
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop(proc: subprocess.Popen) -> int:
    proc.terminate()
    try:
        return proc.wait(_STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def run_child(command: list[str], cwd: Path, keep_fds: tuple[int, ...] = ()) -> int:
    """Run the crawler child to its end; returns its exit code.

    It runs in its own process group, so a Ctrl-C at the terminal reaches it once
    (forwarded by us), not twice (Scrapy takes a second signal as "stop now").
    """
    proc = subprocess.Popen(command, cwd=cwd, pass_fds=keep_fds, process_group=0,
                            env={**os.environ, PARENT_ENV: str(os.getpid())})
    with _forwarding_signals(proc) as asked:
        try:
            # Short waits, not one blocking wait: a signal the kernel hands to another of our threads
            # runs its Python handler only when the main thread wakes up.
            while True:
                try:
                    return proc.wait(timeout=0.5)
                except subprocess.TimeoutExpired:
                    if asked and time.monotonic() - asked[0] > _STOP_GRACE_S:
                        return _stop(proc)  # a graceful stop that does not end: stop it for good
        except BaseException:  # interrupted here (Dagster, an exception in a handler): never leave it running
            _stop(proc)
            raise


def tie_to_parent() -> None:
    """In the child: be killed when the parent dies, however it dies (even SIGKILL).

    Linux delivers SIGKILL on the parent's death (prctl PR_SET_PDEATHSIG); elsewhere
    a thread polls the parent pid. The journal survives a kill at any point.
    """
    parent = int(os.environ.get(PARENT_ENV, "0"))
    if not parent:
        return  # started by hand, not by run_crawl
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # it died before the prctl
            os._exit(1)
        return
    threading.Thread(target=_exit_when_orphaned, args=(parent,), name="parent-watch", daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)
