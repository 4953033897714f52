"""The layer checks catch what they are there to catch: tested on small trees built for it."""

from pathlib import Path

import pytest

from tests.unit.architecture.layers import (
    LAYERS,
    infrastructure_in_cores,
    package_cycles,
    package_imports,
    upward_imports,
)

pytestmark = pytest.mark.unit


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    return root


def test_a_deliberate_upward_import_is_reported_with_its_file_and_line(tmp_path):
    root = _tree(
        tmp_path,
        {
            "kernel/__init__.py": "",
            "kernel/events.py": "import json\n\ndef key():\n    from pipelines.bootstrap import event_key\n",
            "pipelines/__init__.py": "from kernel.events import key\n",
        },
    )
    upward = upward_imports(package_imports(root, ["kernel", "pipelines"]))
    assert [(i.source, i.line, i.module) for i in upward] == [("kernel/events.py", 4, "pipelines.bootstrap")]


def test_an_import_between_two_packages_of_one_floor_is_reported():
    same_floor = [p for p in LAYERS if len(p) > 1][0]
    a, b = same_floor[0], same_floor[1]
    from tests.unit.architecture.layers import Import

    found = upward_imports([Import(f"{a}/x.py", 1, a, b, f"{b}.y")])
    assert len(found) == 1


def test_downward_and_library_imports_are_allowed(tmp_path):
    root = _tree(
        tmp_path,
        {
            "kernel/__init__.py": "import sqlalchemy\n",
            "bento_service/app.py": "from kernel import x\nfrom pipelines.identity_graph import y\n",
        },
    )
    assert upward_imports(package_imports(root, ["kernel", "bento_service"])) == []


def test_a_cycle_between_packages_is_found_once():
    from tests.unit.architecture.layers import Import

    imports = [
        Import("a/x.py", 1, "a", "b", "b"),
        Import("b/x.py", 1, "b", "c", "c"),
        Import("c/x.py", 1, "c", "a", "a"),
        Import("c/y.py", 2, "c", "d", "d"),
    ]
    assert package_cycles(imports) == [["a", "b", "c"]]
    assert package_cycles(imports[:2]) == []


def test_infrastructure_in_a_domain_core_is_reported(tmp_path):
    root = _tree(
        tmp_path,
        {
            "identity/_graph.py": "from dataclasses import dataclass\n",
            "identity/_sql.py": "from sqlalchemy import select\n",
            "models/decisioning/_rules.py": "def f():\n    import mlflow\n",
            "customer360/_survivorship.py": "import json\n",
        },
    )
    leaked = infrastructure_in_cores(root)
    assert sorted((i.source, i.imported) for i in leaked) == [
        ("identity/_sql.py", "sqlalchemy"),
        ("models/decisioning/_rules.py", "mlflow"),
    ]


def test_a_domain_core_that_is_gone_is_an_error_not_a_pass(tmp_path):
    with pytest.raises(FileNotFoundError):
        infrastructure_in_cores(tmp_path, cores=("identity",))
