"""The raw_catalog asset fails, loudly, when its crawl reaches no product page."""

import dagster as dg

from assets.crawl import raw_catalog
from assets.resources import LabellerResource, MlflowResource, SettingsResource
from pipelines.sensors import _root_cause
from tests.pipelines.tiny import free_port


def test_an_unreachable_shop_fails_the_asset(tmp_path):
    site = tmp_path / "refused.yaml"  # a free port: nothing listens, connections are refused
    site.write_text(f"name: refused\nstart_urls: ['http://127.0.0.1:{free_port()}/']\nproduct_links: ['/product/']\n")
    settings = SettingsResource(labeller=LabellerResource(), mlflow=MlflowResource(),
                                overrides=[f"paths.var={tmp_path / 'var'}", f"paths.data={tmp_path / 'data'}",
                                           "crawl.retry_times=0", "crawl.progress_every=0"])
    result = dg.materialize([raw_catalog], resources={"settings": settings}, raise_on_error=False,
                            instance=dg.DagsterInstance.ephemeral(),
                            run_config={"ops": {"raw_catalog": {"config": {"sites": [str(site)]}}}})
    assert not result.success
    [failure] = result.get_step_failure_events()
    # What the run-failure sensor reports as the cause.
    cause = _root_cause(failure.step_failure_data.error)
    assert cause.startswith("CrawlError: ")
    assert "CrawlError: crawl refused: reached no product page from http://127.0.0.1:" in cause
    assert not result.get_asset_materialization_events()
    assert not (tmp_path / "data" / "raw" / "catalog.parquet").exists()
