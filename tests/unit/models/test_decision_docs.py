from pathlib import Path

import pytest

from models.decisioning import REASON_TEXT

pytestmark = pytest.mark.unit

DOC = Path(__file__).resolve().parents[3] / "docs" / "decision-api.md"


def test_every_reason_code_is_documented_with_its_text():
    text = DOC.read_text()
    for code, meaning in REASON_TEXT.items():
        assert f"| `{code}` | {meaning} |" in text, f"{code} missing from docs/decision-api.md"
