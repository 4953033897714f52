"""Build Feast's ``RepoConfig`` from ``BrainSettings`` (the single source of configuration).

The repo's yaml files use ``${EB_RUN_DIR}`` and ``${EB_FEAST_REDIS_CONNECTION}`` so that the
``feast`` CLI works with exported variables. The Python side never relies on the environment:
it parses the yaml of the profile and replaces the placeholders with values computed from the
settings object it is given (so a test's ``BrainSettings(run_dir=tmp)`` is honoured even when
the process environment says otherwise). Unknown placeholders are a configuration error.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from feast.errors import FeastError
from feast.repo_config import RepoConfig
from pydantic import ValidationError

from kernel.errors import ConfigurationError
from kernel.settings import BrainSettings

__all__ = ["feast_redis_connection_string", "feature_store_yaml", "placeholders", "render_repo_config"]

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

YamlValue = str | int | float | bool | None | list["YamlValue"] | dict[str, "YamlValue"]


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


def placeholders(settings: BrainSettings) -> dict[str, str]:
    """The values of the yaml placeholders, computed from the settings."""
    return {
        "EB_RUN_DIR": str(settings.run_dir),
        "EB_FEAST_REDIS_CONNECTION": feast_redis_connection_string(settings.redis_url),
    }


def _substitute(value: YamlValue, values: dict[str, str]) -> YamlValue:
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise ConfigurationError(f"unknown placeholder ${{{name}}} in the feature store yaml")
            return values[name]

        return _PLACEHOLDER.sub(replace, value)
    if isinstance(value, list):
        return [_substitute(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, values) for key, item in value.items()}
    return value


def render_repo_config(settings: BrainSettings, *, project: str | None = None) -> RepoConfig:
    """The profile's yaml with placeholders filled from ``settings``; ``project`` overrides the yaml's."""
    path = feature_store_yaml(settings)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{path} is not a mapping")
    rendered = _substitute(raw, placeholders(settings))
    assert isinstance(rendered, dict)
    if project is not None:
        rendered["project"] = project
    try:
        config = RepoConfig(**rendered)
    except (ValidationError, FeastError) as exc:
        raise ConfigurationError(f"invalid feature store config {path}: {exc}") from exc
    config.repo_path = settings.feast_repo
    return config
