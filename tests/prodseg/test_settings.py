from pathlib import Path

import pytest

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
