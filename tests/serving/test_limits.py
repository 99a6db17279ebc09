"""Refusals under load are quick, JSON and temporary (issue 12, items 1 and 2): stalled uploads time out,
/health keeps answering, a full server or worker pool answers 503 with Retry-After."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from serving.budget import PixelBudget, ServerBusy
from tests.serving.helpers import encoded, photo, read_response, serve_process, stalled_upload

BODY_TIMEOUT = 8  # long enough for the checks made while uploads stall, on a busy machine
MAX_IN_FLIGHT = 6
STALLED = 10


@pytest.fixture(scope="module")
def server(models_dir, catalog_data, tmp_path_factory):
    with serve_process(tmp_path_factory.mktemp("serve-limits"), models_dir / "dark-int8.tflite", catalog_data,
                       workers=1, body_timeout_s=BODY_TIMEOUT, max_in_flight=MAX_IN_FLIGHT,
                       upload_slots=MAX_IN_FLIGHT, queue_timeout_s=0.2) as (url, _pid):
        yield url


def test_stalled_uploads_get_408_json_and_health_keeps_answering(server):
    sockets = [stalled_upload(server) for _ in range(STALLED)]
    try:
        started = time.monotonic()
        # Beyond MAX_IN_FLIGHT, the stalled requests are refused at once, in JSON.
        ready = []
        deadline = started + BODY_TIMEOUT - 1
        while len(ready) < STALLED - MAX_IN_FLIGHT and time.monotonic() < deadline:
            for sock in sockets:
                if sock not in ready:
                    sock.setblocking(False)
                    try:
                        if sock.recv(1, socket.MSG_PEEK):
                            ready.append(sock)
                    except BlockingIOError:
                        pass
            time.sleep(0.05)
        assert len(ready) == STALLED - MAX_IN_FLIGHT
        for sock in ready:
            status, body = read_response(sock, 5)
            assert status == 503 and body["success"] is False and "server busy" in body["error"]
        # While the others still stall: liveness answers, new work is refused in JSON with a hint to retry.
        health = httpx.get(f"{server}/health", timeout=2)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        busy = httpx.post(f"{server}/predict", files={"image": ("a.png", encoded(photo()))}, timeout=5)
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert busy.json()["success"] is False
        assert time.monotonic() - started < BODY_TIMEOUT, "the machine was too slow for this test's timing"
        # The stalled ones are cut off once the body timeout passes, and their slots come back.
        for sock in sockets:
            if sock not in ready:
                status, body = read_response(sock, BODY_TIMEOUT + 10)
                assert status == 408 and body == {
                    "success": False, "error": f"request body not received within {BODY_TIMEOUT} s"}
        assert time.monotonic() - started >= BODY_TIMEOUT - 0.5
    finally:
        for sock in sockets:
            sock.close()
    served = httpx.post(f"{server}/predict", files={"image": ("a.png", encoded(photo()))}, timeout=30)
    assert served.status_code == 200 and served.json()["predictions"]


def test_a_busy_worker_pool_answers_503_json_with_retry_after(server):
    big = encoded(photo(6000, 4000))  # a second or so of work for the one worker

    def segment(_):
        return httpx.post(f"{server}/segment", files={"image": ("a.png", big)}, timeout=60)

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(segment, range(4)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses[0] == 200 and statuses[-1] == 503 and set(statuses) == {200, 503}
    for busy in (r for r in responses if r.status_code == 503):
        assert busy.headers["retry-after"] == "1"
        assert busy.json() == {"success": False, "error": "all 1 workers busy for 0.2 s; try again shortly"}


def test_pixel_budget_waits_for_its_share_then_refuses():
    budget = PixelBudget(capacity=100, timeout=0.5)
    with budget.hold(60):
        with budget.hold(40):  # fits beside the first
            assert budget.used == 100
        with pytest.raises(ServerBusy, match="busy decoding other images for 0.5 s"):
            with budget.hold(60):
                pass
    served = []

    def second():
        with budget.hold(50):
            served.append(time.monotonic())

    with budget.hold(1000):  # larger than the whole budget: it decodes, alone
        assert budget.used == 100
        waiter = threading.Thread(target=second)
        waiter.start()
        time.sleep(0.2)
        assert not served
        released = time.monotonic()
    waiter.join(5)
    assert served and served[0] >= released and budget.used == 0
