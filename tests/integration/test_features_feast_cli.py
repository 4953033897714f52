"""The ``feast`` CLI on the feature repo, as a Feast user runs it (``feature_repo/README.md``):
``feast apply`` accepts the repo the adapter applied, and ``feast materialize-incremental`` rebuilds
a lost online store from the offline Parquet the processors append to. (``feast plan`` runs in
``make test``, target ``feast-plan``.)"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

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

    _run([FEAST, "apply"], env, REPO)  # recreates the online tables, empty
    assert _online(settings, "g-cli") == (None, None)

    _run([FEAST, "materialize-incremental", NOW.strftime("%Y-%m-%dT%H:%M:%S")], env, REPO)
    assert _online(settings, "g-cli") == (42.5, 3)
