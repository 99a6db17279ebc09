"""The review server: 401 without the token, refuses to start without one, and the page in Debian's
chromium (Playwright): paint a correction, accept one, reject one; files and rows written; a reload
shows the decisions. Screenshot kept at var/test-artifacts/review-page.png.
"""

from __future__ import annotations


import numpy as np
import pytest
import requests
from PIL import Image

from corrections.store import read_corrections
from prodseg.settings import REPO_ROOT, ConfigError, Settings
from corrections.review import NoToken, create_review_app, review_token
from serving.server import running_server
from tests.corrections.conftest import TOKEN, labels
from tests.system import CHROMIUM, needs_chromium

ARTIFACTS = REPO_ROOT / "var" / "test-artifacts"


def test_the_api_needs_the_token(settings):
    sha = labels(settings)["image_sha256"][0]
    with running_server(create_review_app(settings, TOKEN)) as url:
        for method, path in [("get", "queue"), ("get", f"image/{sha}"), ("get", f"mask/{sha}"), ("post", "decision")]:
            for auth in (None, "Bearer wrong-token-wrong-token"):
                answer = requests.request(method, f"{url}/review/api/{path}", timeout=10,
                                          headers={"Authorization": auth} if auth else {})
                assert answer.status_code == 401, (path, auth, answer.text)
        good = {"Authorization": f"Bearer {TOKEN}"}
        assert requests.get(f"{url}/review/api/queue", headers=good, timeout=10).status_code == 200
        answer = requests.post(f"{url}/review/api/decision", headers=good, timeout=10,
                               json={"image_sha256": sha, "decision": "correct", "mask_png": "data:text/plain,x"})
        assert answer.status_code == 400 and "mask_png" in answer.json()["error"]
    assert read_corrections(settings).empty


def test_no_token_refuses_to_start_except_local_with_the_flag(settings):
    bare = settings.__class__.load({"paths": {"data": str(settings.data_dir)}}, environ={})
    with pytest.raises(NoToken, match="--no-auth-local"):
        review_token(bare, "0.0.0.0", no_auth_local=True)
    with pytest.raises(NoToken):
        review_token(bare, "127.0.0.1", no_auth_local=False)
    assert review_token(bare, "127.0.0.1", no_auth_local=True) is None
    assert review_token(settings, "0.0.0.0", no_auth_local=False) == TOKEN
    from_env = Settings.load({}, environ={"PRODSEG__REVIEW__TOKEN": TOKEN})
    assert review_token(from_env, "0.0.0.0", no_auth_local=False) == TOKEN
    with pytest.raises(ConfigError, match="review.token"):   # a guessable token is refused
        Settings.load({}, environ={"PRODSEG__REVIEW__TOKEN": "short"})


@needs_chromium
def test_paint_accept_reject_and_reload(settings):
    from playwright.sync_api import expect, sync_playwright

    table = labels(settings)
    with running_server(create_review_app(settings, TOKEN)) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=["--no-sandbox", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{url}/review")
        page.fill("#token", TOKEN)
        page.fill("#who", "ana")
        page.click("#login button")
        expect(page.locator("#queue li")).to_have_count(len(table))
        first = page.locator("#queue li").first.text_content()
        assert "teacher rejected" in first   # the teacher's reject comes first
        expect(page.locator("#info")).to_contain_text("low_confidence")
        # Paint a wide stroke over the top-left of the photo, erase nothing, undo one extra stroke.
        box = page.locator("#mask").bounding_box()
        page.mouse.move(box["x"] + 10, box["y"] + 10)
        page.mouse.down()
        page.mouse.move(box["x"] + 120, box["y"] + 30, steps=8)
        page.mouse.up()
        page.mouse.move(box["x"] + 200, box["y"] + 300)
        page.mouse.down()
        page.mouse.move(box["x"] + 300, box["y"] + 320, steps=4)
        page.mouse.up()
        page.keyboard.press("u")                 # undo the second stroke
        ready = page.locator("#stage:not(.loading)")
        for key, saved in [("a", "saved: correct"),   # accept with the painted mask: a correction
                           ("a", "saved: accept"),    # the next: accepted as the teacher drew it
                           ("r", "saved: reject")]:
            ready.wait_for()
            page.keyboard.press(key)
            expect(page.locator("#status")).to_contain_text(saved)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.reload()
        page.click("#login button")              # the token and the name stay for the tab (sessionStorage)
        expect(page.locator("#who")).to_have_value("ana")
        expect(page.locator("#queue li[data-decision]")).to_have_count(3)
        page.screenshot(path=str(ARTIFACTS / "review-page.png"), full_page=True)
        browser.close()
    assert not errors, errors
    rows = read_corrections(settings)
    assert list(rows["decision"]) == ["correct", "accept", "reject"] and set(rows["who"]) == {"ana"}
    # The photo (48x40) shows at 480 px: the kept stroke ran over its rows 1-3, the undone one over 30-32.
    corrected = np.asarray(Image.open(settings.corrections_dir / rows["mask_path"][0]))
    teacher = np.asarray(Image.open(settings.labels_dir / table.set_index("image_sha256").loc[
        rows["image_sha256"][0], "mask_path"]))
    assert (corrected[teacher > 0] == 5).all()             # the teacher's mask was the start (bowl = 5)
    assert (corrected[0:5] == 5).sum() >= 10               # the stroke
    assert not corrected[29:].any()                        # the undone stroke is gone
