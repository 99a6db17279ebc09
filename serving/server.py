"""Running the app under uvicorn: in the foreground for ``prodseg serve``, in a thread for tests."""

from __future__ import annotations

import logging
import signal
import threading
import time
from contextlib import contextmanager
from typing import Iterator

import uvicorn
from fastapi import FastAPI

from prodseg.settings import Settings
from serving.app import create_app
from serving.memory import map_large_blocks
from serving.model_source import ModelUnavailable
from serving.state import ServedModel

log = logging.getLogger(__name__)


def uvicorn_config(app: FastAPI, host: str, port: int, log_level: str = "info") -> uvicorn.Config:
    # No limit_concurrency: the app bounds requests in flight itself (serving/admission.py), in JSON,
    # and keeps /health answering; uvicorn's would refuse everything in plain text.
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False,
                          timeout_graceful_shutdown=5)


def serve(settings: Settings, workers: int | None = None) -> None:
    """Serve until Ctrl-C / SIGTERM; SIGHUP reloads the champion (so does following it: ``serve.follow_seconds``)."""
    map_large_blocks()  # before any image arrives: freed image memory then goes back to the OS
    model = ServedModel(settings, workers)
    app = create_app(settings, model)
    serve_cfg = settings.config.serve

    def on_hangup(*_):
        def reload():
            try:
                log.info("SIGHUP: %s", model.reload("SIGHUP"))
            except ModelUnavailable:
                pass  # logged by reload(), shown in /model
        threading.Thread(target=reload, name="reload", daemon=True).start()  # not inside the signal handler

    signal.signal(signal.SIGHUP, on_hangup)
    uvicorn.Server(uvicorn_config(app, serve_cfg.host, serve_cfg.port)).run()


@contextmanager
def running_server(app: FastAPI, host: str = "127.0.0.1", port: int = 0, timeout: float = 30) -> Iterator[str]:
    """Serve ``app`` in a thread on a free port (port 0); yields the base URL, stops the server on exit.

    Uvicorn leaves signal handlers alone outside the main thread.
    """
    server = uvicorn.Server(uvicorn_config(app, host, port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    bound_port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
