"""What a model carries with it (issue 23): its class list, on the registry version and beside its files.

A version's list is its tag ``classes`` (the product names as JSON), else its run's artifact ``classes.json``.
A model from before models carried one has ``class-1..N`` from its output width. No MLflow import here:
the server reads a model file's list without it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from prodseg.classes import ClassList

CLASSES_TAG, CLASSES_ARTIFACT = "classes", "classes.json"


def classes_tag(classes: ClassList) -> str:
    return json.dumps(list(classes.products))


def legacy_classes(outputs: int) -> ClassList:
    """A model registered before it carried a list: ``class-1..N`` from its output width (background first)."""
    if outputs < 2:
        raise ValueError(f"a segmentation model has background and at least one class, not {outputs} outputs")
    return ClassList(tuple(f"class-{i}" for i in range(1, outputs)))


def version_classes(client, version) -> ClassList | None:
    """A registered version's (``client``: an MlflowClient) class list: its tag ``classes``, else its run's artifact ``classes.json``;
    None when it has neither (registered before models carried one). A list that is there but broken raises."""
    tag = dict(version.tags).get(CLASSES_TAG)
    if tag:
        try:
            return ClassList.from_json(json.loads(tag))
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"v{version.version}: its tag {CLASSES_TAG!r} is not a class list ({exc}): {tag[:200]}")
    if CLASSES_ARTIFACT not in {a.path for a in client.list_artifacts(version.run_id)}:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        return ClassList.load(Path(client.download_artifacts(version.run_id, CLASSES_ARTIFACT, tmp)))
