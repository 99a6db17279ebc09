"""Jobs: the named slices of the asset graph that the UI, the schedule and the sensors launch.

Selections name assets by key and extend downstream, so every asset module added to ``assets/``
(evaluation, export, promotion) joins the jobs without an edit here.
"""

import dagster as dg

# Everything: crawl, label, split, train, evaluate, export, promote (what `make demo` runs).
full_pipeline_job = dg.define_asset_job(
    "full_pipeline", selection=dg.AssetSelection.all(),
    description="Crawl the shop(s), relabel new images, retrain when anything changed, evaluate, export, promote.",
    tags={"prodseg/job": "full_pipeline"},
)

# From the labels down: what the new-images sensor starts once a crawl has brought enough new photos.
relabel_retrain_job = dg.define_asset_job(
    "relabel_retrain", selection=dg.AssetSelection.assets("pseudo_labels").downstream(),
    description="Label the newly crawled images, re-split, retrain, evaluate, export and promote.",
    tags={"prodseg/job": "relabel_retrain"},
)

# Just the crawl: new photos land in the catalog; the sensor decides whether they warrant a retrain.
crawl_job = dg.define_asset_job(
    "crawl", selection=dg.AssetSelection.assets("raw_catalog"),
    description="Crawl the configured shop(s) into data/raw (incremental).",
    tags={"prodseg/job": "crawl"},
)

JOBS = [full_pipeline_job, relabel_retrain_job, crawl_job]
