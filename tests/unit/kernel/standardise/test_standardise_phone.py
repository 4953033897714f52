from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.errors import InvalidEvent
from kernel.standardise import StandardisationError, phone_e164, phone_e164_or_none

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Kenyan mobile, every form seen in the sources
        ("0712345678", "+254712345678"),  # WekezaDFS, Flutter 07…
        ("0110123456", "+254110123456"),  # 01xx (Safaricom 011x)
        ("0100123456", "+254100123456"),  # 01xx (Airtel 010x)
        ("712345678", "+254712345678"),  # leading zero lost (spreadsheet / int column)
        (712345678, "+254712345678"),
        ("254712345678", "+254712345678"),  # v1 Parties, M-Pesa callbacks, Salama account_id
        (254712345678, "+254712345678"),
        ("+254712345678", "+254712345678"),  # v1 seeds, OpenBanking, CRM docs
        ("+254700000001", "+254700000001"),  # v1 seed pattern +2547000000NN
        ("+254 712 345 678", "+254712345678"),
        ("+254 (0) 712 345 678", "+254712345678"),  # trunk zero in brackets
        ("+2540712345678", "+254712345678"),  # trunk zero kept after the country code
        ("(0712) 345-678", "+254712345678"),
        ("00254712345678", "+254712345678"),  # 00 international prefix
        ("000254712345678", "+254712345678"),  # Kenya's own international prefix
        ("0712-345-678", "+254712345678"),
        ("0712.345.678", "+254712345678"),
        ("  0712 345678\t", "+254712345678"),
        ("\uff10\uff17\uff11\uff12345678", "+254712345678"),  # full-width digits (NFKC)
        ("tel:+254712345678", "+254712345678"),
        ("0722000000", "+254722000000"),
        ("0799999999", "+254799999999"),
        ("020 1234567", "+254201234567"),  # Nairobi landline
        # other countries keep their own code
        ("+256 772 123456", "+256772123456"),
        ("+255 754 123 456", "+255754123456"),
        ("+44 20 7946 0958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),
        ("+1 (415) 555-2671", "+14155552671"),
    ],
)
def test_phone_e164_normalises(raw: str | int, expected: str) -> None:
    assert phone_e164(raw) == expected


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "phone: is empty"),
        ("   ", "phone: is empty"),
        ("not a phone", "is not a phone number"),
        ("0712345678 ext 12", "is not a phone number"),
        ("0712345678/0722000000", "is not a phone number"),
        ("07123", "is not a valid number"),  # too short
        ("07123456789", "is not a valid number"),  # one digit too many
        ("+2547000000", "is not a valid number"),  # truncated placeholder: possible but invalid
        ("0254712345678", "is not a valid number"),
        ("0912345678", "is not a valid number"),  # unallocated Kenyan range
        ("0150123456", "is not a valid number"),  # unallocated 01xx range
        ("256772123456", "is not a valid number"),  # foreign number without + is read as Kenyan
        ("+999 1234 5678", "phone:"),
        ("123", "is not a phone number"),
        ("71+2345678", "is not a phone number"),
    ],
)
def test_phone_e164_rejects(raw: str, error: str) -> None:
    with pytest.raises(StandardisationError, match=error.replace("+", r"\+")):
        phone_e164(raw)


def test_phone_error_masks_the_number_and_is_an_invalid_event() -> None:
    with pytest.raises(InvalidEvent) as caught:
        phone_e164("0912345678")
    assert "'***678'" in str(caught.value)
    assert "0912345" not in str(caught.value)
    assert caught.value.status == 422


def test_phone_default_region_is_a_parameter() -> None:
    assert phone_e164("0772 123456", default_region="UG") == "+256772123456"


@pytest.mark.parametrize("blank", [None, "", "  ", "NULL", "n/a", "-"])
def test_phone_or_none_returns_none_for_blank(blank: str | None) -> None:
    assert phone_e164_or_none(blank) is None


def test_phone_or_none_still_rejects_garbage_and_normalises() -> None:
    assert phone_e164_or_none("0712 345 678") == "+254712345678"
    with pytest.raises(StandardisationError):
        phone_e164_or_none("12ab")


@settings(deadline=None, max_examples=60)
@given(
    form=st.sampled_from([("07", "7"), ("+2547", "7"), ("2547", "7"), ("002547", "7"), ("011", "11")]),
    rest=st.integers(0, 9_999_999),
    separator=st.sampled_from(["", " ", "-", "."]),
)
def test_every_kenyan_mobile_form_gives_one_e164(form: tuple[str, str], rest: int, separator: str) -> None:
    prefix, significant_prefix = form
    digits = f"{rest:07d}" if significant_prefix == "11" else f"{rest:08d}"
    raw = prefix + separator + digits[:3] + separator + digits[3:]
    expected = "+254" + significant_prefix + digits
    assert phone_e164(raw) == expected
    assert phone_e164(expected) == expected  # idempotent
