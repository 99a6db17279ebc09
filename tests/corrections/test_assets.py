"""The Dagster side: review_corrections and dataset_splits count people's decisions in their metadata."""

import dagster as dg
import numpy as np

from assets.corrections import review_corrections
from assets.resources import LabellerResource, MlflowResource, SettingsResource
from assets.training import dataset_splits
from corrections.store import Decision, record
from tests.corrections.conftest import H, W, labels


def test_the_assets_count_the_corrections(settings):
    table = labels(settings)
    rejected = table[~table["accepted"]]["image_sha256"].iloc[0]
    record(settings, table, Decision(rejected, "correct", mask=np.ones((H, W), bool), who="ana"))
    record(settings, table, Decision(table["image_sha256"][0], "accept", who="ana"))
    resource = SettingsResource(labeller=LabellerResource(), mlflow=MlflowResource(),
                                overrides=[f"paths.data={settings.data_dir}", f"paths.var={settings.var_dir}"])
    with dg.instance_for_test() as instance:
        result = dg.materialize([review_corrections, dataset_splits], instance=instance,
                                resources={"settings": resource})
        assert result.success
        corrections = result.asset_materializations_for_node("review_corrections")[0].metadata
        splits = result.asset_materializations_for_node("dataset_splits")[0].metadata
    assert corrections["decisions"].value == 2 and corrections["correct"].value == 1
    assert splits["corrections_counted"].value == 2 and splits["corrected_images"].value == 2
