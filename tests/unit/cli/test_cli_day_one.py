"""What a new user meets first: fast help, scopes explained, every make target listed, clear
registry answers, a process that says what it consumes, no Kafka client noise."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bento_service.scopes import SCOPE_GRANTS, Scope
from cli import app
from cli._run import _consuming
from features import InMemoryFeatureStore
from pipelines.bootstrap import bootstrap
from pipelines.settings import PipelineSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
#: Modules that take seconds to import: `brain --help` and `brain token` must not need them.
HEAVY = (
    "feast",
    "mlflow",
    "bentoml",
    "sqlalchemy",
    "pandas",
    "fastapi",
    "sklearn",
    "kafka",
    "pipelines.bootstrap",
)


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint('\\n'.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return set(out.split())


@pytest.mark.parametrize(
    "code",
    [
        "from cli import app",  # what `brain --help` imports
        # what `brain token` imports to mint
        "from cli._token import token; from bento_service.dev_tokens import dev_token_issuer",
    ],
)
def test_help_and_token_import_nothing_heavy(code):
    loaded = _loaded_after(code)
    assert not [m for m in HEAVY if m in loaded]


def test_the_probe_would_see_a_heavy_import():
    assert "sqlalchemy" in _loaded_after("import kernel.storage")


def test_token_help_lists_every_scope_with_what_it_opens():
    result = CliRunner().invoke(app, ["token", "--help"], terminal_width=200)
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for scope in Scope:
        assert scope.value in text, scope
        assert " ".join(SCOPE_GRANTS[scope].split())[:40] in text, scope


def test_make_help_lists_every_documented_target():
    makefile = (ROOT / "Makefile").read_text()
    documented = set(re.findall(r"^([A-Za-z0-9_-]+):.*?## ", makefile, re.M))
    assert {"bench-customer360", "test", "bento"} <= documented
    shown = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    listed = set(re.findall(r"^  make (\S+)", shown, re.M))
    assert listed == documented


def test_process_says_what_it_consumes(tmp_path):
    pipeline = bootstrap(
        PipelineSettings(run_dir=tmp_path, metrics_port=9464), features=InMemoryFeatureStore()
    )
    try:
        text = _consuming(pipeline)
    finally:
        pipeline.stop()
    assert text.startswith("consuming from the in-process bus (embedded)")
    assert "identity     group brain.identity" in text and "customer.events" in text
    assert "http://127.0.0.1:9464/metrics" in text


@pytest.mark.parametrize("silenced", [True, False])
def test_the_kafka_clients_deprecation_warnings_are_not_printed(silenced):
    code = (
        "from kernel.transport import silence_kafka_client_deprecations as quiet\n"
        + ("quiet()\n" if silenced else "")
        + "import kafka.protocol.api_key"
    )
    err = subprocess.run(
        [sys.executable, "-W", "default", "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    ).stderr
    assert ("DeprecationWarning" in err) is not silenced


def test_models_list_answers_in_one_line_when_nothing_or_no_such_model_is_registered(tmp_path, monkeypatch):
    monkeypatch.setenv("EB_RUN_DIR", str(tmp_path))
    from pipelines.settings import get_pipeline_settings

    get_pipeline_settings.cache_clear()
    try:
        runner = CliRunner()
        empty = runner.invoke(app, ["models", "list"])
        assert empty.exit_code == 0 and "no model registered in sqlite:" in empty.output
        missing = runner.invoke(app, ["models", "list", "nosuch"])
        assert missing.exit_code != 0
        assert "no model 'nosuch'" in str(missing.exception) and "registered: none" in str(missing.exception)
    finally:
        get_pipeline_settings.cache_clear()
