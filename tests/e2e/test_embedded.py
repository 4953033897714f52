"""``brain run`` on the embedded default (no servers), driven through its real HTTP API."""

import subprocess

import httpx
import pytest
from sqlalchemy import create_engine, text

from bento_service.bootstrap import dev_token_issuer
from bento_service.settings import ServiceSettings
from tests.e2e.api_checks import check_brain_through_the_api
from tests.e2e.conftest import BRAIN, ROOT, Truth, brain_env, free_port, running

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

CUSTOMERS, SEED = 120, 11


def test_brain_run_serves_customer_360_and_logged_decisions(tmp_path):
    port = free_port()
    metrics_port = free_port()
    env = brain_env(run_dir=str(tmp_path), profile="embedded", metrics_port=str(metrics_port))
    url = f"http://127.0.0.1:{port}"
    cmd = [
        *BRAIN,
        "run",
        "--customers",
        str(CUSTOMERS),
        "--seed",
        str(SEED),
        "--port",
        str(port),
        "--live-rate",
        "0",
    ]
    with running(cmd, env, tmp_path / "brain-run.log", url):
        token = subprocess.run(
            [*BRAIN, "token", "-s", "customer:read", "-s", "decision:write", "-s", "decision:read"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        truth = Truth.read(tmp_path / "embedded" / "simulator" / "ground_truth.csv")
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
            decision_id = check_brain_through_the_api(client, truth, CUSTOMERS, SEED)
            assert client.get("/docs.json").status_code == 200
            # the first run trained and promoted a fraud champion: decisions are scored from the start
            logged = client.get(f"/v1/decisions/{decision_id}").json()
            assert logged["decision"]["model_version"] == "fraud/1"
        assert httpx.get(f"{url}/customer/anything", timeout=5).status_code == 401
        api_metrics = httpx.get(f"{url}/metrics", timeout=5).text
        assert 'brain_decisions_total{decision_type="transaction"' in api_metrics
        assert "brain_decision_latency_seconds_bucket" in api_metrics
        pipeline_metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
        assert 'brain_events_consumed_total{processor="identity",topic="customer.events"}' in pipeline_metrics
        assert 'brain_events_produced_total{topic="identity.events"}' in pipeline_metrics
        assert "brain_event_processing_seconds_bucket" in pipeline_metrics

    db = create_engine(f"sqlite:///{tmp_path / 'embedded' / 'brain.db'}")
    with db.connect() as conn:
        row = conn.execute(
            text("select outcome from decision_log where decision_id = :d"), {"d": decision_id}
        ).one()
    db.dispose()
    assert row.outcome in {"APPROVE", "REVIEW", "STEP_UP", "DECLINE"}
    verify = subprocess.run(
        [*BRAIN, "decisions", "verify"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert verify.returncode == 0, verify.stderr
    assert "chain intact" in verify.stdout
    assert dev_token_issuer(ServiceSettings(run_dir=tmp_path)).jwks_path.exists()
