"""Running the apps under uvicorn: in the foreground for ``prodseg serve`` and ``prodseg review``, in a thread for
tests."""

from __future__ import annotations

import logging
import signal
import threading
import time
from contextlib import contextmanager
from typing import Iterator

import uvicorn
from fastapi import FastAPI

from corrections.review import create_review_app, review_token
from prodseg.settings import ServeConfig, Settings
from serving.app import create_app
from serving.http_protocol import bounded_h11
from serving.memory import map_large_blocks
from serving.model_source import ModelUnavailable
from serving.state import ServedModel

log = logging.getLogger(__name__)


def uvicorn_config(app: FastAPI, host: str, port: int, limits: ServeConfig | None = None,
                   log_level: str = "info") -> uvicorn.Config:
    """``limits``: the connection bounds of ``serve.*`` (header_timeout_s, keep_alive_s, max_header_bytes)."""
    limits = limits or ServeConfig()
    # No limit_concurrency: the app bounds requests in flight itself (serving/admission.py), in JSON,
    # and keeps /health answering; uvicorn's would refuse everything in plain text.
    # h11, not httptools: the head timeout and JSON 400 hook into its protocol (serving/http_protocol.py).
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False,
                          timeout_graceful_shutdown=5, http=bounded_h11(limits.header_timeout_s, limits.max_header_bytes),
                          timeout_keep_alive=limits.keep_alive_s, h11_max_incomplete_event_size=limits.max_header_bytes)


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
    uvicorn.Server(uvicorn_config(app, serve_cfg.host, serve_cfg.port, serve_cfg)).run()


def run_review(settings: Settings, host: str, port: int, no_auth_local: bool) -> None:
    """The review page's server (``corrections/review.py``) with the same connection bounds as ``serve``."""
    app = create_review_app(settings, review_token(settings, host, no_auth_local))
    uvicorn.Server(uvicorn_config(app, host, port, settings.config.serve)).run()


@contextmanager
def running_server(app: FastAPI, host: str = "127.0.0.1", port: int = 0, timeout: float = 30,
                   limits: ServeConfig | None = None) -> Iterator[str]:
    """Serve ``app`` in a thread on a free port (port 0); yields the base URL, stops the server on exit.

    Uvicorn leaves signal handlers alone outside the main thread.
    """
    server = uvicorn.Server(uvicorn_config(app, host, port, limits, log_level="warning"))
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
