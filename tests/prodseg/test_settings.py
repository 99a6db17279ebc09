from pathlib import Path

import pytest
import yaml

from prodseg.settings import ConfigError, Settings, parse_overrides


def test_defaults_put_runtime_and_data_inside_the_repo():
    s = Settings.load(environ={})
    assert s.var_dir == s.repo_root / "var"
    assert s.catalog_path == s.repo_root / "data" / "raw" / "catalog.parquet"
    assert s.shop_dir == s.var_dir / "shop"
    assert s.config.crawl.site == "demo"


def test_layers_env_then_overrides_win(tmp_path):
    env = {"PRODSEG__CRAWL__CONCURRENCY": "3", "PRODSEG__SHOP__FAULTS": "true", "PRODSEG_VAR": str(tmp_path)}
    s = Settings.load(environ=env)
    assert s.config.crawl.concurrency == 3 and s.config.shop.faults is True
    assert s.var_dir == tmp_path and s.dagster_home == tmp_path / "dagster_home"
    s = Settings.load(parse_overrides(["crawl.concurrency=5"]), environ=env)
    assert s.config.crawl.concurrency == 5


def test_every_path_moves(tmp_path):
    s = Settings.load({"paths": {"var": str(tmp_path / "v"), "data": "rel", "shop": str(tmp_path / "shop")}}, environ={})
    assert s.data_dir == s.repo_root / "rel"
    assert s.shop_dir == tmp_path / "shop"
    assert s.crawl_state_dir("demo") == tmp_path / "v" / "crawl" / "demo"


def test_the_files_stages_hand_each_other_are_where_dvc_yaml_tracks_them(tmp_path):
    """dvc.yaml cannot read Settings: each stage file (``labels_path``, ...) is a path it names, or lies in one
    of its outputs; and each follows paths.data."""
    named = {"labels_path", "splits_path", "student_path", "train_report_path", "evaluation_report_path",
             "evaluation_html_path"}   # a stage's dep or out by name in dvc.yaml; the others lie in an out folder
    s = Settings.load(environ={})
    stage_files = [name for name, value in vars(Settings).items()
                   if isinstance(value, property) and value.fget.__qualname__.startswith("_stage_file")]
    assert named | {"label_report_path", "split_report_path", "export_report_path"} <= set(stage_files), stage_files
    stages = yaml.safe_load((s.repo_root / "dvc.yaml").read_text())["stages"].values()
    entries = {e if isinstance(e, str) else next(iter(e)) for stage in stages
               for kind in ("deps", "outs", "metrics", "plots") for e in stage.get(kind, [])}
    moved = Settings.load({"paths": {"data": str(tmp_path)}}, environ={})
    for name in stage_files:
        path = getattr(s, name).relative_to(s.repo_root).as_posix()
        assert path in entries if name in named else any(path.startswith(f"{e}/") for e in entries), (name, path)
        assert getattr(moved, name) == tmp_path / Path(path).relative_to("data"), name


def test_bad_values_and_unknown_keys_are_clear_errors():
    with pytest.raises(ConfigError, match="concurrency"):
        Settings.load(parse_overrides(["crawl.concurrency=lots"]), environ={})
    with pytest.raises(ConfigError, match="colour"):
        Settings.load(parse_overrides(["shop.colour=red"]), environ={})
    with pytest.raises(ConfigError, match="section.key=value"):
        parse_overrides(["no-equals-sign"])


@pytest.mark.parametrize("override, rule", [
    ("serve.follow_seconds=-1", "greater than or equal to 0"),
    ("serve.canary_share=1.5", "less than or equal to 1"),
    ("serve.notify_timeout_s=0", "greater than 0"),
    ("serve.notify_urls=[localhost:8000]", "should match pattern"),
])
def test_following_and_canary_keys_are_range_checked(override, rule):
    with pytest.raises(ConfigError, match=f"serve.{override.split('.')[1].split('=')[0]}.*{rule}"):
        Settings.load(parse_overrides([override]), environ={})


def test_site_config_path_accepts_a_name_or_a_file(tmp_path):
    s = Settings.load(environ={})
    assert s.site_config_path("demo") == s.config_dir / "sites" / "demo.yaml"
    assert s.site_config_path(str(tmp_path / "x.yaml")) == Path(tmp_path / "x.yaml")


def test_defaults_yaml_mirrors_the_code_defaults():
    # The YAML documents the defaults; the models hold them. They must not drift apart.
    import yaml

    from prodseg.settings import CONFIG_DIR, Config

    assert Config.model_validate(yaml.safe_load((CONFIG_DIR / "defaults.yaml").read_text())) == Config()
