"""Structural rules of the code base (HOUSE_STYLE): layers, public surfaces, infrastructure-free cores.

The layer order is declared once, in :mod:`tests.unit.architecture.layers`.
"""

import importlib
import pkgutil
from pathlib import Path

import pytest

from tests.unit.architecture.layers import (
    LAYERS,
    describe,
    infrastructure_in_cores,
    package_cycles,
    package_imports,
    upward_imports,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = [package for floor in LAYERS for package in floor]
KNOWN_NOT_LAYERED = {"tests", "notebooks", "docs", "build", "dist"}


def test_every_top_level_package_has_a_floor():
    on_disk = {
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and not p.name.startswith((".", "_")) and any(p.rglob("*.py"))
    } - KNOWN_NOT_LAYERED
    assert on_disk == set(PACKAGES), f"give each package a floor in layers.LAYERS: {on_disk ^ set(PACKAGES)}"


def test_no_import_runs_back_up():
    upward = upward_imports(package_imports(ROOT, PACKAGES))
    assert not upward, "imports that run back up (or sideways on one floor):\n" + describe(upward)


def test_no_package_imports_the_tests():
    found = [i for i in package_imports(ROOT, PACKAGES) if i.imported == "tests"]
    assert not found, "test helpers imported by the project (move them into a package):\n" + describe(found)


def test_no_cycle_between_top_level_packages():
    assert package_cycles(package_imports(ROOT, PACKAGES)) == []


def test_domain_cores_import_no_infrastructure():
    leaked = infrastructure_in_cores(ROOT)
    assert not leaked, "domain cores importing infrastructure:\n" + describe(leaked)


@pytest.mark.parametrize(
    "module",
    [
        "identity",
        "customer360",
        "models.decisioning",
        "kernel.events",
        "kernel.transport",
        "pipelines.processors",
        "features",
        "kernel.standardise",
        "pipelines.simulator",
        "kernel.storage",
        "infra.local_services",
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
    for package in PACKAGES:
        if package == "bench":
            continue  # benchmarks set up their subprocesses' environment
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "settings.py":
                continue
            text = path.read_text()
            if "os.environ" in text or "os.getenv" in text:
                offenders.append(str(path.relative_to(ROOT)))
    # cli/_run.py passes the settings on to the API subprocess, infra/local_services.py on to the
    # Customer 360 workers it starts for tests and benches.
    assert offenders == ["cli/_run.py", "infra/local_services.py"], offenders


def test_every_module_imports():
    for package in PACKAGES:
        if package in {"bench", "feature_repo"}:
            continue  # bench modules are scripts; feature_repo.repo is Feast's entry, not imported
        mod = importlib.import_module(package)
        for info in pkgutil.walk_packages(mod.__path__, prefix=f"{package}."):
            if ".migrations" in info.name or info.name.endswith("__main__"):
                continue
            importlib.import_module(info.name)
