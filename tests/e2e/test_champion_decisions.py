"""A promoted champion changes live decisions, without a restart: the steps of
``docs/data-science.md`` ("Serve it") on the embedded mode, through the real processes.

``brain run`` serves decisions with rules alone; ``brain models train fraud`` registers a version
(still rules alone: nothing is promoted); ``brain models promote fraud 1 --alias champion``; the
running API's champion poller loads it and the next decisions carry its version and score, in the
answer and in the logged record.
"""

import subprocess
import time

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.e2e.api_checks import decide
from tests.e2e.conftest import BRAIN, ROOT, Truth, brain_env, free_port, running

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

CUSTOMERS, SEED = 40, 5


def _brain(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*BRAIN, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _logged(client: httpx.Client, decision: dict) -> dict:
    response = client.get(f"/v1/decisions/{decision['decision_id']}")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_promoted_champion_scores_the_next_decisions_without_a_restart(tmp_path):
    port = free_port()
    env = brain_env(
        run_dir=str(tmp_path), profile="embedded", metrics_port=str(free_port()), model_poll_s="1"
    )
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
        "--no-first-model",
    ]
    with running([*cmd, "--live-rate", "0"], env, tmp_path / "brain-run.log", url) as api:
        token = _brain(env, "token", "-s", "decision:write", "-s", "decision:read").strip()
        truth = Truth.read(tmp_path / "embedded" / "simulator" / "ground_truth.csv")
        system, key = next(iter(truth.records.values()))[0]
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
            before = decide(client, system, key)
            assert (before["model_version"], before["scores"]) == (None, {})  # rules alone
            assert _logged(client, before)["inputs"]["scores"] == {}

            trained = _brain(env, "models", "train", "fraud", "--customers", "150")
            assert trained.startswith("fraud v1:"), trained
            registered = decide(client, system, key)
            assert registered["model_version"] is None  # registered is not promoted

            assert "fraud v1  aliases=-" in _brain(env, "models", "list", "fraud")
            assert "fraud@champion -> version 1" in _brain(
                env, "models", "promote", "fraud", "1", "--alias", "champion"
            )
            assert "fraud v1  aliases=champion" in _brain(env, "models", "list", "fraud")
            deadline = time.monotonic() + 30
            after = decide(client, system, key)
            while after["model_version"] is None and time.monotonic() < deadline:
                time.sleep(0.5)
                after = decide(client, system, key)

            assert after["model_version"] == "fraud/1", after
            assert 0.0 <= after["scores"]["fraud"] <= 1.0
            record = _logged(client, after)
            assert record["decision"]["model_version"] == "fraud/1"
            assert record["inputs"]["scores"] == {"fraud": after["scores"]["fraud"]}
            assert api.poll() is None  # the same API process all along: no restart

    db = create_engine(f"sqlite:///{tmp_path / 'embedded' / 'brain.db'}")
    with db.connect() as conn:
        rows = conn.execute(
            text("select decision_id, model_version, score from decision_log where decision_id in (:a, :b)"),
            {"a": before["decision_id"], "b": after["decision_id"]},
        ).all()
    db.dispose()
    assert {r.decision_id: (r.model_version, r.score) for r in rows} == {
        before["decision_id"]: (None, None),
        after["decision_id"]: ("fraud/1", pytest.approx(after["scores"]["fraud"])),
    }
