"""Champion/challenger promotion in the MLflow model registry.

A new version becomes the ``challenger``; it takes ``champion`` only when it
beats the current champion by a margin on the same test split (the caller
scores the champion on that split), or when there is no champion yet. Two models
whose class lists differ are compared on what both can answer (the caller's
``Comparison`` says on what); a version the caller refuses never takes ``champion``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

CHAMPION, CHALLENGER = "champion", "challenger"
MEAN_IOU = "test mean IoU"


@dataclass(frozen=True)
class Comparison:
    """How a challenger and the champion were compared: both scores on ``basis``; ``refused``: why it cannot win."""
    score: float
    champion_score: float | None
    basis: str = MEAN_IOU
    refused: str | None = None


@dataclass
class Promotion:
    version: str
    promoted: bool
    reason: str
    previous_champion: str | None
    score: float
    champion_score: float | None
    previous_challenger: str | None = None
    comparison: str = MEAN_IOU      # what the scores are: the test mean IoU, or what two class lists share

    @property
    def moved(self) -> bool:
        """Whether an alias now points elsewhere: servers following them have something new to load."""
        return (self.promoted and self.previous_champion != self.version) or self.previous_challenger != self.version


def current_champion(client: MlflowClient, name: str, alias: str = CHAMPION) -> str | None:
    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:  # no such alias (or no such model) yet
        return None


def promote(client: MlflowClient, name: str, version: str, score: float, margin: float,
            champion_score: Callable[[str], float | Comparison], tags: dict[str, object] | None = None,
            refused: str | None = None) -> Promotion:
    """Tag ``version``, make it the challenger, and make it champion if it wins.

    ``champion_score(v)`` scores the current champion on the same test split as ``score`` (the test mean IoU),
    or returns a ``Comparison`` of both on another basis. ``refused``: why ``version`` may not be champion at all.
    """
    for key, value in (tags or {}).items():
        client.set_model_version_tag(name, version, key, str(value))
    version = str(version)
    challenger = current_champion(client, name, CHALLENGER)
    client.set_registered_model_alias(name, CHALLENGER, version)
    champion = current_champion(client, name)
    if refused:
        return Promotion(version, False, refused, champion, score, None, challenger)
    if champion is None:
        client.set_registered_model_alias(name, CHAMPION, version)
        return Promotion(version, True, "no champion yet", None, score, None, challenger)
    if champion == version:
        return Promotion(version, True, "already champion", champion, score, score, challenger)
    found = champion_score(champion)
    compared = found if isinstance(found, Comparison) else Comparison(score, found)
    ours, best, basis = compared.score, compared.champion_score, compared.basis
    if compared.refused:
        return Promotion(version, False, compared.refused, champion, ours, best, challenger, basis)
    if ours >= best + margin:
        client.set_registered_model_alias(name, CHAMPION, version)
        return Promotion(version, True, f"beats v{champion} by {ours - best:+.4f} on {basis} (margin {margin})",
                         champion, ours, best, challenger, basis)
    return Promotion(version, False, f"does not beat v{champion} by the margin {margin} on {basis} "
                     f"({ours - best:+.4f})", champion, ours, best, challenger, basis)


def list_versions(client: MlflowClient, name: str) -> list[dict]:
    """Every version of ``name``, newest first, with its aliases and tags."""
    versions = client.search_model_versions(f"name = '{name}'")
    aliases: dict[str, list[str]] = {}
    try:
        for alias, version in client.get_registered_model(name).aliases.items():
            aliases.setdefault(str(version), []).append(alias)
    except MlflowException:
        return []
    return [{"version": str(v.version), "aliases": sorted(aliases.get(str(v.version), [])), "run_id": v.run_id,
             "created": v.creation_timestamp, "tags": dict(v.tags)}
            for v in sorted(versions, key=lambda v: int(v.version), reverse=True)]
