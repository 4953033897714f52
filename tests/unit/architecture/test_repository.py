"""What the repository tracks: code and documents, no databases, no large binaries; every test
module carries the marker of its folder."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
MAX_BYTES = 1024 * 1024
#: Folders whose tracked files may be data (none today: datasets are read from ../shared/data,
#: run data lives under the ignored .run/). A new entry needs a reason in docs/decisions.md.
DATA_FOLDERS: tuple[str, ...] = ()
DATABASE_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".db-journal", ".db-wal")
SQLITE_MAGIC = b"SQLite format 3\x00"


def _tracked() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    return [ROOT / name for name in out.decode().split("\0") if name]


def _offenders(files: list[Path]) -> list[str]:
    found = []
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        if any(rel.startswith(f"{folder}/") for folder in DATA_FOLDERS) or not path.is_file():
            continue
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
        if rel.endswith(DATABASE_SUFFIXES) or head == SQLITE_MAGIC:
            found.append(f"{rel}: a database")
        elif path.stat().st_size > MAX_BYTES:
            found.append(f"{rel}: {path.stat().st_size} bytes (over 1 MiB)")
    return found


def test_no_tracked_database_or_file_over_one_mebibyte():
    assert _offenders(_tracked()) == []


def test_the_check_finds_a_database_by_its_header_and_a_large_file(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "notes.txt").write_bytes(SQLITE_MAGIC + b"...")  # a database under another name
    (tmp_path / "model.bin").write_bytes(b"\0" * (MAX_BYTES + 1))
    (tmp_path / "ok.py").write_text("x = 1\n")
    assert _offenders(sorted(tmp_path.iterdir())) == [
        "model.bin: 1048577 bytes (over 1 MiB)",
        "notes.txt: a database",
    ]


@pytest.mark.parametrize("kind", ["unit", "integration", "e2e"])
def test_every_test_module_carries_its_folders_marker(kind):
    unmarked = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "tests" / kind).rglob("test_*.py"))
        if not re.search(rf"pytest\.mark\.{kind}\b", path.read_text())
    ]
    assert unmarked == []
