"""Standard forms of identifiers and values: pure functions, no I/O.

Every field has two entry points:

* ``f(raw)`` returns the standard form and raises :class:`StandardisationError` (an
  :class:`~kernel.errors.InvalidEvent`, so the event goes to the DLQ) for a blank or unusable value;
* ``f_or_none(raw)`` returns ``None`` for ``None``, a blank string or a null marker (``NULL``, ``N/A``,
  ``-``) and still raises for an unusable value — use it for optional fields.

Error messages name the field; PII values are masked to their last three characters.

=====================  ===========================================================================
phone                  :func:`phone_e164` → ``+254712345678`` (strict ``is_valid_number``)
national id            :func:`national_id` → prefixes (``ID``, ``KE-ID-``, ``NID``…) stripped, upper-case
email                  :func:`email` → trimmed, lower-case; :func:`is_synthetic_email` → never match
amount                 :func:`amount` → ``Decimal`` at the currency's minor unit (sub-minor rejected)
timestamp              :func:`utc_timestamp` → aware UTC; naive input is Africa/Nairobi local time
card number            :func:`card_token` → :class:`CardToken` (last4 + HMAC-SHA256); PAN never kept
name                   :func:`person_name` (display) and :func:`name_key` (matching)
date of birth          :func:`date_of_birth` → ``date``; day-first, no future, age ≤ 130
=====================  ===========================================================================
"""

from __future__ import annotations

from kernel.standardise._email import SYNTHETIC_EMAIL_DOMAINS, email, email_or_none, is_synthetic_email
from kernel.standardise._errors import StandardisationError
from kernel.standardise._identifiers import (
    CardToken,
    card_token,
    card_token_or_none,
    national_id,
    national_id_or_none,
)
from kernel.standardise._money import (
    CURRENCY_EXPONENTS,
    AmountInput,
    amount,
    amount_or_none,
    amount_str,
    currency_code,
    from_minor_units,
    to_minor_units,
)
from kernel.standardise._names import name_key, name_key_or_none, person_name, person_name_or_none
from kernel.standardise._phone import phone_e164, phone_e164_or_none
from kernel.standardise._time import (
    DEFAULT_SOURCE_TZ,
    date_of_birth,
    date_of_birth_or_none,
    utc_timestamp,
    utc_timestamp_or_none,
)

__all__ = [
    "CURRENCY_EXPONENTS",
    "DEFAULT_SOURCE_TZ",
    "SYNTHETIC_EMAIL_DOMAINS",
    "AmountInput",
    "CardToken",
    "StandardisationError",
    "amount",
    "amount_or_none",
    "amount_str",
    "card_token",
    "card_token_or_none",
    "currency_code",
    "date_of_birth",
    "date_of_birth_or_none",
    "email",
    "email_or_none",
    "from_minor_units",
    "is_synthetic_email",
    "name_key",
    "name_key_or_none",
    "national_id",
    "national_id_or_none",
    "person_name",
    "person_name_or_none",
    "phone_e164",
    "phone_e164_or_none",
    "to_minor_units",
    "utc_timestamp",
    "utc_timestamp_or_none",
]
