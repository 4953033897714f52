"""The catalogue of stable reason codes (``reasons.yaml``)."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Final

import yaml

__all__ = ["REASON_TEXT"]

_raw = yaml.safe_load(Path(__file__).with_name("reasons.yaml").read_text())
REASON_TEXT: Final = MappingProxyType({str(k): str(v) for k, v in _raw.items()})
