import json
from pathlib import Path

import pytest

from cli._schemas import export_schemas

pytestmark = pytest.mark.unit

PUBLISHED = Path(__file__).resolve().parents[3] / "docs" / "schemas"


def test_published_json_schemas_match_the_event_models(tmp_path):
    written = export_schemas(tmp_path)
    assert {p.name for p in written} == {p.name for p in PUBLISHED.glob("*.schema.json")}
    for path in written:
        published = json.loads((PUBLISHED / path.name).read_text())
        assert json.loads(path.read_text()) == published, f"{path.name} is stale: run `make schemas`"
