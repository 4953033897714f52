"""The API as its BentoML users know it: `bentoml build` makes a Bento of it, `bentoml serve` of
that Bento answers, with the project's one OpenAPI document (models come from the registry)."""

import shutil
import subprocess
import sys

import httpx
import pytest

from tests.e2e.conftest import ROOT, brain_env, free_port, running

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def test_a_built_bento_serves_the_api(tmp_path):
    requirements = ROOT / "build" / "bento-requirements.txt"  # what bentofile.yaml names
    requirements.parent.mkdir(parents=True, exist_ok=True)
    uv = [shutil.which("uv")] if shutil.which("uv") else ["python3", "-m", "uv"]  # as make installs it
    subprocess.run(
        [
            *uv,
            "export",
            "--frozen",
            "--no-dev",
            "--no-hashes",
            "--no-emit-project",
            "--format",
            "requirements-txt",
            "-o",
            str(requirements),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    env = brain_env(run_dir=str(tmp_path / "run"))
    env["BENTOML_HOME"] = str(tmp_path / "bentoml")  # a store of this test's own
    bentoml = [sys.executable, "-m", "bentoml"]
    built = subprocess.run(
        [*bentoml, "build", "--output", "tag"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert built.returncode == 0, built.stderr[-3000:]
    tag = built.stdout.strip().splitlines()[-1].removeprefix("__tag__:")
    assert tag.startswith("wekeza_brain:")
    listed = subprocess.run(
        [*bentoml, "list", "-o", "json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert tag in listed.stdout
    contents = {
        p.relative_to(tmp_path / "bentoml" / "bentos").as_posix()
        for p in (tmp_path / "bentoml" / "bentos").rglob("*.py")
    }
    assert any(c.endswith("src/bento_service/service.py") for c in contents)
    assert not (tmp_path / "bentoml" / "models").exists() or not any(
        (tmp_path / "bentoml" / "models").iterdir()
    )

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running([*bentoml, "serve", tag, "--port", str(port)], env, tmp_path / "bento.log", url):
        doc = httpx.get(f"{url}/docs.json", timeout=10).json()
        assert doc["info"]["title"] == "Wekeza Enterprise Brain"
        assert "/v1/decisions/transaction" in doc["paths"]
        assert httpx.get(f"{url}/v1/customer/GC0000000000000000", timeout=10).status_code == 401
