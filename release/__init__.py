"""The release stages: TFLite export and promotion in the MLflow registry, after the evaluation."""
