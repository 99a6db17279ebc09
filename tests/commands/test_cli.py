from commands.cli import main


def test_shop_generate_then_status(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("PRODSEG_VAR", raising=False)
    args = ["--var", str(tmp_path / "var"), "--data", str(tmp_path / "data")]
    assert main([*args, "shop", "generate", "--products", "8", "--seed", "3", "--no-jsonld"]) == 0
    out = capsys.readouterr().out
    assert "demo shop generated: 8 products" in out
    page = next((tmp_path / "var" / "shop" / "site" / "product").rglob("index.html")).read_text()
    assert "ld+json" not in page
    assert main([*args, "shop", "generate", "--products", "8", "--seed", "3", "--no-jsonld"]) == 0
    assert "already up to date" in capsys.readouterr().out
    assert main([*args, "status"]) == 0
    assert "catalog: none yet" in capsys.readouterr().out


def test_a_bad_override_is_a_clear_error_with_exit_code_2(capsys):
    assert main(["--set", "crawl.concurrency=many", "status"]) == 2
    assert "configuration error" in capsys.readouterr().err


def test_models_on_an_empty_registry_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert main(["--var", str(tmp_path / "var"), "models"]) == 0
    assert "no versions of prodseg-student" in capsys.readouterr().out
