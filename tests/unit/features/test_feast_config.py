from __future__ import annotations

from pathlib import Path

import pytest

from features.feast_config import (
    feast_redis_connection_string,
    feature_store_yaml,
    render_repo_config,
)
from kernel.errors import ConfigurationError
from pipelines.settings import PipelineSettings, Profile

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3] / "feature_repo"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://127.0.0.1:6379/0", "127.0.0.1:6379,db=0"),
        ("redis://localhost", "localhost:6379,db=0"),
        ("redis://cache.internal:6380/7", "cache.internal:6380,db=7"),
        ("redis://:s%40cret@10.0.0.5:6379/2", "10.0.0.5:6379,db=2,password=s@cret"),
        ("redis://app:pw@10.0.0.5/1", "10.0.0.5:6379,db=1,username=app,password=pw"),
        ("rediss://r.example:6390/0", "r.example:6390,db=0,ssl=true"),
    ],
)
def test_redis_url_becomes_feast_connection_string(url: str, expected: str) -> None:
    assert feast_redis_connection_string(url) == expected


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:6379/0", "redis://", "redis://h:6379/zero", "redis://:a%2Cb@h:6379/0"]
)
def test_invalid_redis_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError):
        feast_redis_connection_string(url)


def test_embedded_config_comes_from_settings_not_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EB_RUN_DIR", "/somewhere/else")
    settings = PipelineSettings(run_dir=tmp_path, feast_repo=REPO)

    config = render_repo_config(settings)

    assert feature_store_yaml(settings) == REPO / "feature_store.yaml"
    assert config.project == "wekeza_brain"
    assert config.provider == "local"
    assert config.registry.path == str(tmp_path / "embedded" / "feast_registry.db")
    assert config.registry.cache_ttl_seconds == 60
    assert config.online_store.type == "sqlite"
    assert config.online_store.path == str(tmp_path / "embedded" / "feast_online.db")
    assert config.offline_store.type in {"file", "dask"}
    assert config.entity_key_serialization_version == 3
    assert config.repo_path == REPO


def test_services_config_uses_redis_from_settings(tmp_path: Path) -> None:
    settings = PipelineSettings(
        profile=Profile.SERVICES, run_dir=tmp_path, feast_repo=REPO, redis_url="redis://10.1.2.3:6381/5"
    )

    config = render_repo_config(settings, project="brain_test")

    assert feature_store_yaml(settings) == REPO / "feature_store.services.yaml"
    assert config.project == "brain_test"
    assert config.registry.path == str(tmp_path / "services" / "feast_registry.db")
    assert config.online_store.type == "redis"
    assert config.online_store.connection_string == "10.1.2.3:6381,db=5"
    assert config.online_store.key_ttl_seconds == 35 * 24 * 3600


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("- not\n- a mapping\n", "not a feature store config"),
        ("project: p\nprovider: local\n", "not a feature store config with a registry"),
        ("project: p p\nprovider: local\nregistry: {path: r.db}\n", "invalid feature store config"),
    ],
)
def test_bad_yaml_is_a_configuration_error(tmp_path: Path, yaml_text: str, message: str) -> None:
    (tmp_path / "feature_store.yaml").write_text(yaml_text)
    settings = PipelineSettings(run_dir=tmp_path, feast_repo=tmp_path)

    with pytest.raises(ConfigurationError, match=message):
        render_repo_config(settings)


def test_the_yamls_name_the_checkouts_run_dir_so_the_cli_needs_no_environment() -> None:
    import yaml

    for name, profile in (("feature_store.yaml", "embedded"), ("feature_store.services.yaml", "services")):
        text = (REPO / name).read_text()
        assert "${" not in text, name  # no placeholder the feast CLI cannot fill
        assert yaml.safe_load(text)["registry"]["path"] == f"../.run/{profile}/feast_registry.db"
