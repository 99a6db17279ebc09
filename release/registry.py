"""Champion/challenger promotion in the MLflow model registry.

A new version becomes the ``challenger``; it takes ``champion`` only when it
beats the current champion by a margin on the same test split (the caller
scores the champion on that split), or when there is no champion yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

CHAMPION, CHALLENGER = "champion", "challenger"


@dataclass
class Promotion:
    version: str
    promoted: bool
    reason: str
    previous_champion: str | None
    score: float
    champion_score: float | None
    previous_challenger: str | None = None

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
            champion_score: Callable[[str], float], tags: dict[str, object] | None = None) -> Promotion:
    """Tag ``version``, make it the challenger, and make it champion if it wins.

    ``champion_score(v)`` scores the current champion on the same test split as ``score``.
    """
    for key, value in (tags or {}).items():
        client.set_model_version_tag(name, version, key, str(value))
    version = str(version)
    challenger = current_champion(client, name, CHALLENGER)
    client.set_registered_model_alias(name, CHALLENGER, version)
    champion = current_champion(client, name)
    if champion is None:
        client.set_registered_model_alias(name, CHAMPION, version)
        return Promotion(version, True, "no champion yet", None, score, None, challenger)
    if champion == version:
        return Promotion(version, True, "already champion", champion, score, score, challenger)
    best = champion_score(champion)
    if score >= best + margin:
        client.set_registered_model_alias(name, CHAMPION, version)
        return Promotion(version, True, f"beats v{champion} by {score - best:+.4f} (margin {margin})",
                         champion, score, best, challenger)
    return Promotion(version, False, f"does not beat v{champion} by the margin {margin} ({score - best:+.4f})",
                     champion, score, best, challenger)


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
