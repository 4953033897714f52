"""Source columns → standardised identity fields, declared in a small YAML/JSON mapping.

```yaml
sources:
  - files: "dataset4a*"      # glob on the file's base name; the first entry that matches wins
    source: febrl_a          # source system name written to the output (default: file stem)
    record_id: rec_id        # default: the row number
    date_order: YMD          # order of the 8 digits of dates: YMD, MDY or DMY
    fields:                  # identity field → column (or list of columns joined by a space)
      first_name: given_name
      last_name: surname
      dob: date_of_birth
```
"""

from __future__ import annotations

import fnmatch
import re
import unicodedata
from collections.abc import Mapping as AbcMapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from identity._comparisons import FieldRecord
from identity._settings import FIELDS
from identity.errors import InvalidSettings

__all__ = ["FileMapping", "SourceMapping", "standardise"]

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_NON_DIGIT = re.compile(r"[^0-9]+")
_NAMES = {"first_name", "middle_name", "last_name", "street", "city"}


class SourceMapping(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    files: str = "*"
    source: str | None = None
    record_id: str | None = None
    date_order: Literal["YMD", "MDY", "DMY"] = "YMD"
    fields: dict[str, str | list[str]]

    def columns(self) -> set[str]:
        out = {c for v in self.fields.values() for c in ([v] if isinstance(v, str) else v)}
        if self.record_id:
            out.add(self.record_id)
        return out


class FileMapping(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sources: tuple[SourceMapping, ...]

    @classmethod
    def parse(cls, data: object) -> FileMapping:
        try:
            mapping = cls.model_validate(data)
        except ValidationError as e:
            raise InvalidSettings(
                [f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors()]
            ) from e
        errors = [
            f"sources[{i}].fields: unknown identity field {f!r} (known: {', '.join(FIELDS)})"
            for i, s in enumerate(mapping.sources)
            for f in s.fields
            if f not in FIELDS
        ]
        if errors:
            raise InvalidSettings(errors)
        return mapping

    def for_file(self, basename: str) -> SourceMapping:
        for s in self.sources:
            if fnmatch.fnmatch(basename, s.files):
                return s
        raise InvalidSettings([f"no mapping entry matches the file {basename!r}"])


def _fold(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return " ".join(_NON_ALNUM.sub(" ", folded).split())


def _date(value: str, order: str) -> str:
    digits = _NON_DIGIT.sub("", value)
    if len(digits) != 8:
        return ""
    if order == "MDY":
        return digits[4:] + digits[:2] + digits[2:4]
    if order == "DMY":
        return digits[4:] + digits[2:4] + digits[:2]
    return digits


def standardise(values: AbcMapping[str, str], date_order: str = "YMD") -> FieldRecord:
    """Identity field → raw text, into the record tuple matching compares."""
    out = []
    for field in FIELDS:
        raw = values.get(field) or ""
        raw = raw.strip()
        if not raw or raw.lower() in ("nan", "none", "null"):
            out.append("")
            continue
        if field == "dob":
            out.append(_date(raw, date_order))
        elif field in _NAMES:
            out.append(_fold(raw))
        elif field == "sex":
            out.append(_fold(raw)[:1])
        elif field == "email":
            out.append(raw.lower())
        elif field == "phone":
            out.append("+" + _NON_DIGIT.sub("", raw))
        else:
            out.append(_NON_ALNUM.sub("", _fold(raw)))
    return tuple(out)
