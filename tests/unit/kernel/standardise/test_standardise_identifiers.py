from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.errors import ConfigurationError
from kernel.standardise import (
    CardToken,
    StandardisationError,
    card_token,
    card_token_or_none,
    national_id,
    national_id_or_none,
)

pytestmark = pytest.mark.unit

KEY = b"k" * 32


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12345678", "12345678"),
        (12345678, "12345678"),  # integer column
        ("1234567", "1234567"),  # seven-digit (older) id
        (" 12 345 678 ", "12345678"),
        ("12-345-678", "12345678"),
        # every prefix seen in the sources (v1 seeds, DFS, eKYC OCR)
        ("ID12345678", "12345678"),
        ("ID:12345678", "12345678"),
        ("ID: 12345678", "12345678"),
        ("ID-12345678", "12345678"),
        ("ID 12345678", "12345678"),
        ("id12345678", "12345678"),
        ("KE-ID-00001", "00001"),  # v1 seed; leading zeros are kept
        ("KE-ID-12345678", "12345678"),
        ("KEID12345678", "12345678"),
        ("KE ID 12345678", "12345678"),
        ("NID12345678", "12345678"),
        ("NID: 12345678", "12345678"),
        ("ID No. 12345678", "12345678"),
        ("National ID: 1234 5678", "12345678"),
        ("01234567", "01234567"),  # zero-padded: not stripped
        # passport-style and registration numbers
        ("ak0123456", "AK0123456"),
        ("A 123 4567", "A1234567"),
        ("CPR/2015/123456", "CPR2015123456"),
        ("PVT-7LU5GRE", "PVT7LU5GRE"),
        ("IDA12345", "IDA12345"),  # "ID" before letters is not a prefix
    ],
)
def test_national_id_normalises(raw: str | int, expected: str) -> None:
    assert national_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "national_id: is empty"),
        ("ID", "is not an id"),
        ("KE-ID-", "is not an id"),
        ("00000000", "all zeros"),
        ("KE-ID-00000", "all zeros"),
        ("1234", "is not an id"),  # too short
        ("12345678901", "is not an id"),  # too long
        ("N/A", "is not an id"),
        ("UNKNOWN", "is not an id"),
        ("12345678#", "is not an id"),
        ("ABCDEFGH", "is not an id"),  # no digit
        ("A" * 25 + "1", "is not an id"),
        (True, "expected text"),
    ],
)
def test_national_id_rejects(raw: str, error: str) -> None:
    with pytest.raises(StandardisationError, match=error):
        national_id(raw)


def test_national_id_error_is_masked() -> None:
    with pytest.raises(StandardisationError) as caught:
        national_id("12345678901")
    assert caught.value.field == "national_id"
    assert "'***901'" in caught.value.detail
    assert "12345678901" not in caught.value.detail


@pytest.mark.parametrize("blank", [None, "", " ", "NULL", "N/A"])
def test_national_id_or_none_blank(blank: str | None) -> None:
    assert national_id_or_none(blank) is None


@given(
    st.integers(1_000_000, 99_999_999), st.sampled_from(["", "ID", "ID:", "ID-", "KE-ID-", "KEID", "NID "])
)
def test_national_id_prefixes_all_give_the_same_key(number: int, prefix: str) -> None:
    assert national_id(f"{prefix}{number}") == str(number)
    assert national_id(national_id(f"{prefix}{number}")) == str(number)


@pytest.mark.parametrize(
    ("pan", "last4"),
    [
        ("4111111111111111", "1111"),  # Visa test PAN
        ("4111 1111 1111 1111", "1111"),
        ("5500-0000-0000-0004", "0004"),  # Mastercard test PAN
        ("378282246310005", "0005"),  # Amex, 15 digits
        ("6011111111111117", "1117"),
        (" 4012888888881881 ", "1881"),
    ],
)
def test_card_token_keeps_last4_and_hmac_only(pan: str, last4: str) -> None:
    token = card_token(pan, KEY)
    digits = "".join(ch for ch in pan if ch.isdigit())
    assert token == CardToken(last4=last4, hash=hmac.new(KEY, digits.encode(), hashlib.sha256).hexdigest())
    assert digits not in repr(token)


def test_card_token_depends_on_the_key_and_ignores_formatting() -> None:
    assert card_token("4111 1111 1111 1111", KEY) == card_token("4111111111111111", KEY)
    assert card_token("4111111111111111", KEY).hash != card_token("4111111111111111", b"z" * 32).hash


@pytest.mark.parametrize(
    ("pan", "error"),
    [
        ("4111111111111112", "Luhn"),
        ("4111********1111", "already masked"),
        ("4111XXXXXXXX1111", "already masked"),
        ("41111111111", "12-19 digits"),
        ("41111111111111111111", "12-19 digits"),
        ("4111-1111-1111-111a", "12-19 digits"),
        ("", "12-19 digits"),
    ],
)
def test_card_token_rejects(pan: str, error: str) -> None:
    with pytest.raises(StandardisationError, match=error) as caught:
        card_token(pan, KEY)
    assert "1111111" not in caught.value.detail  # the PAN never appears in the message


def test_card_token_requires_a_real_key() -> None:
    with pytest.raises(ConfigurationError):
        card_token("4111111111111111", b"short")


def test_card_token_or_none() -> None:
    assert card_token_or_none(None, KEY) is None
    assert card_token_or_none("  ", KEY) is None
    token = card_token_or_none("4111111111111111", KEY)
    assert token is not None
    assert token.last4 == "1111"
