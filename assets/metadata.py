"""Asset metadata people can look at: plots as pictures, and a link to the MLflow run behind a materialization.

Dagster's metadata panel renders Markdown with ``data:`` images (its sanitizer allows them), so a small
PNG thumbnail shows the plot in place; the full-size picture opens from MLflow, which holds it as an
artifact of the run. (No ``from __future__ import annotations``: kept like the asset modules.)
"""

from pathlib import Path
from urllib.parse import urlencode

import dagster as dg

from prodseg.datauri import image_data_uri
from prodseg.settings import Settings
from training.tracking import run_ui_url

THUMBNAIL_SIDE = 360          # px: readable in the side panel, a few tens of kB per plot
THUMBNAIL_BYTES = 150_000


def mlflow_run_url(settings: Settings, experiment_id: str, run_id: str) -> dg.MetadataValue:
    """The run's page in the MLflow UI at ``mlflow.ui_url``."""
    return dg.MetadataValue.url(run_ui_url(settings.config.mlflow.ui_url, experiment_id, run_id))


def picture(settings: Settings, path: Path, title: str, run_id: str, artifact: str) -> dg.MetadataValue:
    """Markdown showing ``path`` as a thumbnail, with a link to the full-size ``artifact`` of ``run_id``."""
    thumbnail = image_data_uri(path, THUMBNAIL_BYTES, THUMBNAIL_SIDE)
    full = (f"{settings.config.mlflow.ui_url.rstrip('/')}/get-artifact?"
            f"{urlencode({'path': artifact, 'run_uuid': run_id})}")
    return dg.MetadataValue.md(f"![{title}]({thumbnail})\n\n[{title}, full size (MLflow)]({full}) · `{path}`")
