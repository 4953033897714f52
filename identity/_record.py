"""The identity view of one source record: only what matching needs, already standardised."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

__all__ = ["IdentityRecord", "KeyType", "SourceRecordRef"]

KeyType = str  # "national_id" | "phone" | "email" | "device"


@dataclass(frozen=True, slots=True, order=True)
class SourceRecordRef:
    source_system: str
    source_key: str

    def __str__(self) -> str:
        return f"{self.source_system}:{self.source_key}"


@dataclass(frozen=True, slots=True)
class IdentityRecord:
    ref: SourceRecordRef
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: date | None = None
    middle_name: str | None = None
    gender: str | None = None
    national_id: str | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = field(default=())
    device_ids: tuple[str, ...] = ()

    def keys(self) -> list[tuple[KeyType, str]]:
        """Identifiers usable for blocking: synthetic emails are excluded by the producer."""
        out: list[tuple[KeyType, str]] = []
        if self.national_id:
            out.append(("national_id", self.national_id))
        out.extend(("phone", p) for p in self.phones)
        out.extend(("email", e) for e in self.emails)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "middle_name": self.middle_name,
            "gender": self.gender,
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
            "national_id": self.national_id,
            "phones": list(self.phones),
            "emails": list(self.emails),
            "device_ids": list(self.device_ids),
        }

    @classmethod
    def from_json(cls, ref: SourceRecordRef, data: dict[str, Any]) -> IdentityRecord:
        dob = data.get("date_of_birth")
        return cls(
            ref=ref,
            name=data.get("name"),
            first_name=data.get("first_name"),
            last_name=data.get("last_name"),
            middle_name=data.get("middle_name"),
            gender=data.get("gender"),
            date_of_birth=date.fromisoformat(dob) if dob else None,
            national_id=data.get("national_id"),
            phones=tuple(data.get("phones") or ()),
            emails=tuple(data.get("emails") or ()),
            device_ids=tuple(data.get("device_ids") or ()),
        )
