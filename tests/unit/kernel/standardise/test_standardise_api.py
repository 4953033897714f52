from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest

import kernel.standardise as standardise
from kernel.errors import EnterpriseBrainError, InvalidEvent
from kernel.standardise import StandardisationError

pytestmark = pytest.mark.unit

KEY = b"k" * 32


def test_all_lists_every_public_name() -> None:
    public = {name for name in vars(standardise) if not name.startswith("_")} - {"annotations"}
    assert set(standardise.__all__) == public


def test_error_is_an_invalid_event_with_field_and_reason() -> None:
    error = StandardisationError("phone", "is not a valid number", "'***678'")
    assert isinstance(error, InvalidEvent)
    assert isinstance(error, EnterpriseBrainError)
    assert (error.status, error.code, error.field, error.reason) == (
        422,
        "invalid-field",
        "phone",
        "is not a valid number",
    )
    assert error.detail == "phone: is not a valid number (got '***678')"


def test_module_is_pure() -> None:
    forbidden = ("open(", "os.environ", "requests", "socket", "logging.basicConfig", "print(")
    for name in ("_email", "_errors", "_identifiers", "_money", "_names", "_phone", "_time"):
        source = inspect.getsource(getattr(standardise, name))
        assert not [word for word in forbidden if word in source], name


# Every optional variant: None for blanks, the same answer as the strict function otherwise,
# and the same error for garbage.
OPTIONAL_PAIRS: list[tuple[Callable[..., object], Callable[..., object], str, str]] = [
    (standardise.phone_e164, standardise.phone_e164_or_none, "0712345678", "x"),
    (standardise.national_id, standardise.national_id_or_none, "ID12345678", "#"),
    (standardise.email, standardise.email_or_none, "A@B.CO", "a@b"),
    (standardise.person_name, standardise.person_name_or_none, "JOHN", "J0hn"),
    (standardise.name_key, standardise.name_key_or_none, "JOHN", "J0hn"),
    (standardise.utc_timestamp, standardise.utc_timestamp_or_none, "2024-01-31", "tomorrow"),
    (standardise.date_of_birth, standardise.date_of_birth_or_none, "1990-05-01", "May"),
    (
        lambda raw: standardise.amount(raw, "KES"),
        lambda raw: standardise.amount_or_none(raw, "KES"),
        "1",
        "x",
    ),
    (
        lambda raw: standardise.card_token(raw, KEY),
        lambda raw: standardise.card_token_or_none(raw, KEY),
        "4111111111111111",
        "4111",
    ),
]


@pytest.mark.parametrize(("strict", "optional", "good", "bad"), OPTIONAL_PAIRS)
def test_or_none_convention(
    strict: Callable[..., object], optional: Callable[..., object], good: str, bad: str
) -> None:
    for blank in (None, "", "   ", "NULL", "N/A"):
        assert optional(blank) is None
    assert optional(good) == strict(good)
    with pytest.raises(StandardisationError):
        strict("")
    with pytest.raises(StandardisationError):
        optional(bad)
