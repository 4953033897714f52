from __future__ import annotations

import pytest

from kernel.standardise import StandardisationError, email, email_or_none, is_synthetic_email

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jane@wekeza.co.ke", "jane@wekeza.co.ke"),
        ("  Jane.Doe@Wekeza.CO.KE  ", "jane.doe@wekeza.co.ke"),
        ("JOHN+loans@gmail.com", "john+loans@gmail.com"),  # no provider-specific rewriting
        ("j.o.h.n@gmail.com", "j.o.h.n@gmail.com"),
        ("mailto:Jane@Example.org", "jane@example.org"),
        ("jane@wekeza.co.ke.", "jane@wekeza.co.ke"),  # trailing root dot
        ("3f2a9c1e-0b5d-4c1e-9f7a-2b8d6e4c1a00@vif.local", "3f2a9c1e-0b5d-4c1e-9f7a-2b8d6e4c1a00@vif.local"),
        ("x@bücher.de", "x@xn--bcher-kva.de"),  # IDN domain in punycode
        ("o'brien@mail.co.uk", "o'brien@mail.co.uk"),
    ],
)
def test_email_normalises(raw: str, expected: str) -> None:
    assert email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "email: is empty"),
        ("jane.wekeza.co.ke", "exactly one '@'"),
        ("jane@@wekeza.co.ke", "exactly one '@'"),
        ("ja@ne@wekeza.co.ke", "exactly one '@'"),
        ("@wekeza.co.ke", "invalid local part"),
        ("jane doe@wekeza.co.ke", "invalid local part"),
        (".jane@wekeza.co.ke", "invalid local part"),
        ("ja..ne@wekeza.co.ke", "invalid local part"),
        ("jane@localhost", "domain needs a dot"),
        ("jane@", "domain needs a dot"),
        ("jane@wekeza..ke", "invalid domain"),
        ("jane@-wekeza.co.ke", "invalid domain"),
        ("jane@wekeza.c0m", "invalid domain"),
        ("jane@wekeza.k", "invalid domain"),
        ("jane@wek_eza.com", "invalid domain"),
    ],
)
def test_email_rejects(raw: str, error: str) -> None:
    with pytest.raises(StandardisationError, match=error):
        email(raw)


def test_email_error_names_field_and_masks() -> None:
    with pytest.raises(StandardisationError) as caught:
        email("jane.doe.wekeza.co.ke")
    assert caught.value.field == "email"
    assert "jane" not in caught.value.detail
    assert "'***.ke'" in caught.value.detail


@pytest.mark.parametrize(
    ("address", "synthetic"),
    [
        ("3f2a9c1e-0b5d-4c1e-9f7a-2b8d6e4c1a00@vif.local", True),  # v1-Core VIF registration
        ("x@host.local", True),
        ("x@example.com", True),
        ("x@example.org", True),
        ("x@mail.example.net", True),  # subdomain of a reserved domain
        ("x@anything.invalid", True),
        ("x@anything.test", True),
        ("x@test", True),
        ("X@VIF.LOCAL", True),  # case-insensitive
        ("noemail@gmail.com", True),  # placeholder mailbox
        ("none@wekeza.co.ke", True),
        ("not-an-address", True),  # can never match
        ("jane@wekeza.co.ke", False),
        ("jane@gmail.com", False),
        ("jane@myexample.com", False),  # only whole labels count
        ("jane@local.co.ke", False),
        ("test.user@gmail.com", False),
    ],
)
def test_is_synthetic_email(address: str, synthetic: bool) -> None:
    assert is_synthetic_email(address) is synthetic


@pytest.mark.parametrize("blank", [None, "", "   ", "null", "N/A"])
def test_email_or_none_blank(blank: str | None) -> None:
    assert email_or_none(blank) is None


def test_email_or_none_still_validates() -> None:
    assert email_or_none(" A@B.co ") == "a@b.co"
    with pytest.raises(StandardisationError):
        email_or_none("nonsense")
