"""The Wekeza settings: the comparisons the bank's customer events carry, and the shipped weights.

:func:`wekeza_settings` is the untrained template (the fields an ``IdentityRecord`` holds: names,
date of birth, sex, national id, phone, e-mail, device). :func:`default_settings_path` is the JSON
of its weights, EM-trained without labels on the simulator's customer events and versioned in the
repository; the streaming identity processor and the operator API use it unless
``EB_IDENTITY_SETTINGS_PATH`` names other trained settings. Re-train it with
``make identity-settings`` (``brain identity train-default``).
"""

from __future__ import annotations

from pathlib import Path

from identity._settings import (
    FIRST_NAME_AND_SEX_DIFFER,
    GIVEN_NAMES_DIFFER,
    IdentitySettings,
    block_on,
    person_comparisons,
)

__all__ = ["DEFAULT_SETTINGS_PATH", "load_default_settings", "wekeza_settings"]

#: The shipped, trained settings (package data).
DEFAULT_SETTINGS_PATH = Path(__file__).resolve().parent / "settings" / "wekeza_default.json"

#: Bump when the template changes (comparisons, levels, blocking); the digest covers the weights.
WEKEZA_SETTINGS_VERSION = 2


def wekeza_settings() -> IdentitySettings:
    """Untrained template for the bank's customer records (train with :func:`identity.train`)."""
    comparisons = person_comparisons()
    blocking = (
        block_on("national_id"),
        block_on("phone"),
        block_on("email"),
        block_on("first_name", "last_name", "dob"),
        block_on("last_name", "dob"),
        block_on("first_name", "dob"),
    )
    # EM sessions on pairs that mostly are one person or clearly are not: not phone (a household's
    # shared phone) nor first+last name (few distinct names: namesakes outnumber duplicates)
    training = (block_on("dob"), block_on("national_id"), block_on("email"))
    return IdentitySettings(
        name="wekeza",
        version=WEKEZA_SETTINGS_VERSION,
        comparisons=comparisons,
        blocking_rules=blocking,
        training_rules=training,
        exclusions=(GIVEN_NAMES_DIFFER, FIRST_NAME_AND_SEX_DIFFER),
    )


def load_default_settings() -> IdentitySettings:
    """The shipped trained settings (validated)."""
    return IdentitySettings.from_json(DEFAULT_SETTINGS_PATH.read_text())


def load_settings(path: Path | None) -> IdentitySettings:
    """Trained settings from ``path`` (``brain identity resolve --save-settings``); the shipped
    Wekeza settings when ``path`` is ``None``."""
    return IdentitySettings.from_json(path.read_text()) if path is not None else load_default_settings()
