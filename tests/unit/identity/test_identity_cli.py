"""``brain identity resolve`` on small files: both modes, CSV and gzipped CSV and Parquet."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli._app import app

from .test_identity_linker import weighted

pytestmark = pytest.mark.unit

MAPPING = """
sources:
  - files: "crm*"
    source: crm
    record_id: id
    date_order: DMY
    fields: {first_name: fname, last_name: sname, dob: born, national_id: nid, phone: tel}
  - files: "core*"
    source: core
    record_id: cust_no
    fields: {first_name: given, last_name: family, dob: dob, national_id: id_no}
"""


def _files(tmp_path: Path) -> list[Path]:
    crm = tmp_path / "crm.csv.gz"
    with gzip.open(crm, "wt", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "fname", "sname", "born", "nid", "tel"])
        w.writerow(["1", "Grace", "Wanjiru", "12/04/1990", "12345678", "+254712345678"])
        w.writerow(["2", "Kevin", "Wanjiru", "01/08/2012", "", "+254712345678"])
        w.writerow(["3", "Peter", "Otieno", "01/01/1985", "22345678", ""])
    core = tmp_path / "core.parquet"
    pd.DataFrame(
        {
            "cust_no": ["A", "B"],
            "given": ["Grace", "Petr"],
            "family": ["Wanjiru", "Otieno"],
            "dob": ["19900412", "19850101"],
            "id_no": ["12345678", "22345678"],
        }
    ).to_parquet(core)
    return [crm, core]


@pytest.mark.parametrize("mode", ["online", "bulk"])
def test_resolve_files(tmp_path: Path, mode: str) -> None:
    (tmp_path / "map.yaml").write_text(MAPPING)
    (tmp_path / "settings.json").write_text(weighted().to_json())
    args = ["identity", "resolve", "--map", str(tmp_path / "map.yaml"), "--mode", mode]
    args += ["--settings", str(tmp_path / "settings.json"), "--output", str(tmp_path / "out.csv")]
    for f in _files(tmp_path):
        args += ["--input", str(f)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    with (tmp_path / "out.csv").open() as fh:
        rows = {(r["source"], r["record_id"]): r["gcid"] for r in csv.DictReader(fh)}
    assert len(rows) == 5
    assert rows[("crm", "1")] == rows[("core", "A")]
    assert rows[("crm", "3")] == rows[("core", "B")]
    assert len({rows[("crm", "1")], rows[("crm", "2")], rows[("crm", "3")]}) == 3


def test_unknown_field_in_the_mapping_is_reported(tmp_path: Path) -> None:
    (tmp_path / "map.yaml").write_text("sources:\n  - fields: {shoe: size, hat: h}\n")
    out = tmp_path / "out.csv"
    args = ["identity", "resolve", "--map", str(tmp_path / "map.yaml"), "--output", str(out)]
    result = CliRunner().invoke(app, [*args, "--input", str(_files(tmp_path)[0])])
    assert result.exit_code != 0
    assert "shoe" in str(result.exception) and "hat" in str(result.exception)
