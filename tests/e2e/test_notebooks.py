"""The data-science notebooks execute top to bottom on the embedded mode (fresh run dir each)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

nbclient = pytest.importorskip("nbclient", reason="the notebooks dependency group is not installed")
nbformat = pytest.importorskip("nbformat", reason="the notebooks dependency group is not installed")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_there_are_three_notebooks() -> None:
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03"]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EB_RUN_DIR", str(tmp_path))
    monkeypatch.setenv("EB_PROFILE", "embedded")
    book = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        book, timeout=150, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    errors = [
        o
        for c in book.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert errors == []
