"""``brain infra``: the CLI wraps the project's infra scripts."""

import subprocess
import sys

import pytest

from infra.local_services import ROOT

pytestmark = pytest.mark.integration


def test_brain_infra_status_reports_the_services_healthy():
    done = subprocess.run(
        [sys.executable, "-m", "cli", "infra", "status"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert {"kafka", "redis", "postgres"} <= {line.split()[0] for line in done.stdout.splitlines() if line}


def test_brain_infra_rejects_an_unknown_service():
    done = subprocess.run(
        [sys.executable, "-m", "cli", "infra", "status", "oracle"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
