"""The ``feast`` CLI on the feature repo, as a Feast user runs it (``feature_repo/README.md``):
``feast apply`` accepts the repo the adapter applied, and ``feast materialize-incremental`` rebuilds
a lost online store from the offline Parquet the processors append to. (``feast plan`` runs in
``make test``, target ``feast-plan``.)"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from features import CustomerActivity
from features.feast_store import FeastFeatureStore
from pipelines.settings import PipelineSettings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[2] / "feature_repo"
FEAST = str(Path(sys.executable).parent / "feast")
NOW = datetime.now(UTC).replace(microsecond=0)


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _online(settings: PipelineSettings, gcid: str) -> object:
    values = FeastFeatureStore(settings).service_online(
        "fraud_v1", [{"gcid": gcid, "request_amount": 1.0, "request_epoch": NOW.timestamp()}]
    )
    return values["txn_amount_sum_24h"][0], values["aml_rating"][0]


def test_feast_plan_apply_and_materialize_serve_the_offline_rows(tmp_path: Path) -> None:
    run = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EB_")} | {"EB_RUN_DIR": str(run)}
    settings = PipelineSettings(run_dir=run, feast_repo=REPO)
    store = FeastFeatureStore(settings)
    store.apply()  # what `python -m features apply` does: dirs, empty Parquet, registry
    activity = CustomerActivity()
    store.push_rows(
        [
            *activity.observe_transaction("g-cli", NOW - timedelta(hours=2), 40.0, "t1", channel="card"),
            *activity.observe_transaction("g-cli", NOW - timedelta(hours=1), 2.5, "t2", channel="mpesa"),
            *activity.observe_risk(
                "g-cli", NOW - timedelta(hours=1), score_type="aml", score=1, rating="high"
            ),
        ]
    )
    assert _online(settings, "g-cli") == (42.5, 3)
    (run / "embedded" / "feast_online.db").unlink()  # the online store is lost

    # another run directory than the checkout's: a copy of the yaml naming it (README.md)
    yaml_text = (REPO / "feature_store.yaml").read_text().replace("../.run", str(run))
    fs_yaml = tmp_path / "feature_store.yaml"
    fs_yaml.write_text(yaml_text)
    _run([FEAST, "-f", str(fs_yaml), "apply"], env, REPO)  # recreates the online tables, empty
    assert _online(settings, "g-cli") == (None, None)

    _run([FEAST, "-f", str(fs_yaml), "materialize-incremental", NOW.strftime("%Y-%m-%dT%H:%M:%S")], env, REPO)
    assert _online(settings, "g-cli") == (42.5, 3)


def test_every_feast_command_works_from_the_feature_repo_with_no_environment_variable(tmp_path: Path) -> None:
    """A checkout's own run dir: the yaml's relative paths and repo.py agree (`feast plan`,
    `feast apply`, `feast ui`). The checkout's ``.run/embedded`` is the one `make run` uses: the
    test only applies the same objects the processors apply there."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EB_")}
    (REPO.parent / ".run" / "embedded").mkdir(parents=True, exist_ok=True)
    planned = _run([FEAST, "plan"], env, REPO)
    assert "Traceback" not in planned
    _run([FEAST, "apply"], env, REPO)
    listed = _run([FEAST, "feature-views", "list"], env, REPO)
    assert "transaction_windows" in listed and "customer_risk" in listed
    port = _free_port()
    with subprocess.Popen(
        [FEAST, "ui", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as ui:
        try:
            deadline = time.monotonic() + 90
            status = None
            while time.monotonic() < deadline and ui.poll() is None:
                try:
                    status = httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code
                    break
                except httpx.HTTPError:
                    time.sleep(1)
            died = ui.poll() is not None and ui.stderr is not None
            assert status == 200, ui.stderr.read().decode()[-3000:] if died and ui.stderr else status
        finally:
            os.killpg(ui.pid, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
