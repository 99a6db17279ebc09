"""Dagster resources: how assets reach the project's settings, the labeller and MLflow.

Each resource is Dagster config over the one settings object (``prodseg/settings.py``): whatever is
left unset falls back to config/defaults.yaml < params.yaml < env, so the defaults run the demo, and
the launchpad (or a run config file) overrides per run, e.g.::

    resources:
      labeller: {config: {labeller: grabcut, min_score: 0.6}}
      settings: {config: {image_size: 96, overrides: ["train.epochs_finetune=5"]}}

``labeller`` and ``mlflow`` are nested in ``settings`` (configured at launch, so run config given to
them reaches ``settings`` too): every asset that loads the settings sees the same labeller and the
same MLflow store.

(No ``from __future__ import annotations``: Dagster reads the field types at definition time.)
"""

from typing import Optional

import dagster as dg

from prodseg.settings import Settings, _merge, parse_overrides


def section(name: str, **values) -> dict:
    """``{"label": {...}}`` holding only the values that were set."""
    set_values = {k: v for k, v in values.items() if v is not None}
    return {name: set_values} if set_values else {}


class LabellerResource(dg.ConfigurableResource):
    """The teacher that pseudo-labels the crawl, and how confident a label must be to be used."""

    labeller: Optional[str] = None      # cascade | auto | isnet | grabcut | detectron2; unset: label.labeller
    min_score: Optional[float] = None   # weaker labels are rejected; unset: label.min_score

    def overrides(self) -> dict:
        return section("label", labeller=self.labeller, min_score=self.min_score)


class MlflowResource(dg.ConfigurableResource):
    """The MLflow tracking store and registry the student is logged to and promoted in.

    The env var MLFLOW_TRACKING_URI still wins over ``tracking_uri`` (MLflow's own convention).
    """

    tracking_uri: Optional[str] = None      # unset: mlflow.tracking_uri, else sqlite under var/mlflow
    experiment: Optional[str] = None
    registered_model: Optional[str] = None

    def overrides(self) -> dict:
        return section("mlflow", tracking_uri=self.tracking_uri, experiment=self.experiment,
                        registered_model=self.registered_model)


class SettingsResource(dg.ConfigurableResource):
    """The project settings with this run's overrides: paths, stage config, labeller, MLflow.

    ``overrides`` takes the CLI's ``section.key=value`` strings, e.g. ``["shop.products=40"]``;
    ``image_size`` is its own field because training, evaluation and export must agree on it.
    """

    labeller: LabellerResource
    mlflow: MlflowResource
    image_size: Optional[int] = None
    overrides: list[str] = []

    def load(self, extra: dict | None = None) -> Settings:
        """The settings; ``extra`` (nested, e.g. from an asset's own run config) wins over the rest."""
        merged = _merge(self.labeller.overrides(), self.mlflow.overrides())
        merged = _merge(merged, section("train", image_size=self.image_size))
        merged = _merge(merged, parse_overrides(self.overrides))
        return Settings.load(_merge(merged, extra or {}))


def build_resources() -> dict:
    """The resources the Definitions hold: the nested ones shared, so run config reaches both places."""
    labeller = LabellerResource.configure_at_launch()
    mlflow = MlflowResource.configure_at_launch()
    return {"labeller": labeller, "mlflow": mlflow, "settings": SettingsResource(labeller=labeller, mlflow=mlflow)}
