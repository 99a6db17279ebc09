"""Config checked at load: the real CLI exits 2 naming the key and the rule, with no traceback."""

import pytest

from tests.cli_process import run_cli


def _refused(proc, *expected: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "prodseg: configuration error" in proc.stderr and "Traceback" not in proc.stderr
    for text in expected:
        assert text in proc.stderr


@pytest.mark.parametrize("override, rule", [
    ("crawl.concurrency=0", "greater than 0"),
    ("crawl.concurrency=-5", "greater than 0"),
    ("label.min_score=7", "less than or equal to 1"),
    ("serve.max_upload_bytes=-1", "greater than 0"),
    ("serve.port=70000", "less than or equal to 65535"),
])
def test_a_value_out_of_range_is_refused_with_its_key_and_rule(tmp_path, override, rule):
    key, _, value = override.partition("=")
    proc = run_cli("--var", str(tmp_path / "var"), "--set", override, "status", timeout=120)
    _refused(proc, f"{key} = {value}: Input should be {rule}")


def test_every_bad_value_is_named_at_once(tmp_path):
    proc = run_cli("--var", str(tmp_path / "var"), "--set", "crawl.max_pages=-1", "--set", "split.val=1.5",
                   "--set", "train.batch_size=0", "status", timeout=120)
    _refused(proc, "crawl.max_pages = -1", "split.val = 1.5", "train.batch_size = 0")


def test_a_bad_regex_in_a_site_config_is_one_clear_error(tmp_path):
    site = tmp_path / "bad.yaml"
    site.write_text("name: bad\nstart_urls: ['http://127.0.0.1:9/']\nlisting_links: ['/category/']\n"
                    "product_links: ['/product/(']\n")
    proc = run_cli("--var", str(tmp_path / "var"), "--data", str(tmp_path / "data"), "crawl", "--site", str(site),
                   timeout=120)
    _refused(proc, "product_links", "'/product/(' is not a valid regex: missing ), unterminated subpattern")
    assert proc.stderr.count("not a valid regex") == 1
    assert not (tmp_path / "var" / "crawl").exists()  # refused before anything ran
