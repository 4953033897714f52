"""Structural rules of the code base (HOUSE_STYLE): public surfaces and an infrastructure-free core."""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
INFRASTRUCTURE = {"kafka", "redis", "feast", "bentoml", "mlflow"}
PURE_PACKAGES = ["identity", "models/decisioning", "customer360"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_domain_core_imports_no_infrastructure(package):
    files = list((ROOT / package).rglob("*.py"))
    assert files
    for path in files:
        leaked = _imports(path) & INFRASTRUCTURE
        assert not leaked, f"{path.relative_to(ROOT)} imports {sorted(leaked)}"


@pytest.mark.parametrize(
    "module",
    [
        "identity",
        "customer360",
        "models.decisioning",
        "pipelines.events",
        "pipelines.transport",
        "pipelines.processors",
        "pipelines.features",
        "pipelines.standardise",
        "pipelines.simulator",
        "pipelines.storage",
    ],
)
def test_public_surface_is_declared_and_complete(module):
    mod = importlib.import_module(module)
    exported = set(mod.__all__)
    assert all(hasattr(mod, name) for name in exported)
    public = {
        name
        for name, value in vars(mod).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith(module)
    }
    assert public <= exported, f"{module} exposes undeclared names {sorted(public - exported)}"


def test_no_environment_reads_outside_settings():
    offenders = []
    for package in ["pipelines", "identity", "models", "bento_service", "customer360", "feature_repo"]:
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "settings.py":
                continue
            text = path.read_text()
            if "os.environ" in text or "os.getenv" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == ["pipelines/cli/_run.py"], offenders  # passes the settings on to the API subprocess


def test_every_module_imports():
    for package in ["pipelines", "identity", "models", "customer360", "bento_service"]:
        mod = importlib.import_module(package)
        for info in pkgutil.walk_packages(mod.__path__, prefix=f"{package}."):
            if ".migrations" in info.name or info.name.endswith("__main__"):
                continue
            importlib.import_module(info.name)
