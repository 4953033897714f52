"""Build Feast's ``RepoConfig`` from ``BrainSettings`` (the single source of configuration).

The repo's yaml files name the checkout's own run directory (relative paths) and the local
Redis, so the ``feast`` CLI works from ``feature_repo/`` with no environment variable. The Python
side never relies on the yaml's locations nor on the environment: it parses the yaml of the
profile and sets the registry, the online store and the Redis connection from the settings object
it is given (so a test's ``BrainSettings(run_dir=tmp)`` is honoured whatever the process
environment says).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from feast.errors import FeastError
from feast.repo_config import RepoConfig
from pydantic import ValidationError

from kernel.errors import ConfigurationError
from kernel.settings import BrainSettings

__all__ = ["feast_redis_connection_string", "feature_store_yaml", "render_repo_config"]


def feature_store_yaml(settings: BrainSettings) -> Path:
    name = "feature_store.yaml" if settings.embedded else "feature_store.services.yaml"
    return settings.feast_repo / name


def feast_redis_connection_string(redis_url: str) -> str:
    """``redis://[user:password@]host[:port][/db]`` → Feast's ``host:port,db=N[,...]`` form."""
    parts = urlsplit(redis_url)
    if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
        raise ConfigurationError(f"redis_url must be redis://host[:port][/db], got {redis_url!r}")
    db = parts.path.strip("/") or "0"
    if not db.isdigit():
        raise ConfigurationError(f"redis_url database must be a number, got {db!r}")
    items = [f"{parts.hostname}:{parts.port or 6379}", f"db={db}"]
    if parts.username:
        items.append(f"username={unquote(parts.username)}")
    if parts.password:
        items.append(f"password={unquote(parts.password)}")
    if parts.scheme == "rediss":
        items.append("ssl=true")
    if any("," in item for item in items):
        raise ConfigurationError("redis_url parts must not contain ',' (Feast's separator)")
    return ",".join(items)


def render_repo_config(settings: BrainSettings, *, project: str | None = None) -> RepoConfig:
    """The profile's yaml with its store locations set from ``settings``: the registry and the
    SQLite online store under ``<run_dir>/<profile>/``, the Redis connection from ``redis_url``;
    ``project`` overrides the yaml's."""
    path = feature_store_yaml(settings)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("registry"), dict):
        raise ConfigurationError(f"{path} is not a feature store config with a registry")
    profile_dir = settings.run_dir / settings.profile.value
    raw["registry"]["path"] = str(profile_dir / "feast_registry.db")
    online = raw.get("online_store")
    if isinstance(online, dict) and online.get("type") == "sqlite":
        online["path"] = str(profile_dir / "feast_online.db")
    elif isinstance(online, dict) and online.get("type") == "redis":
        online["connection_string"] = feast_redis_connection_string(settings.redis_url)
    if project is not None:
        raw["project"] = project
    try:
        config = RepoConfig(**raw)
    except (ValidationError, FeastError) as exc:
        raise ConfigurationError(f"invalid feature store config {path}: {exc}") from exc
    config.repo_path = settings.feast_repo
    return config
