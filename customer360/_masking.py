"""Masking of personal data for callers without ``pii:read``.

Masked: national ids and KRA PIN (last three characters kept), phones (country code and last two
digits), emails (first character and domain), date of birth (removed), addresses (removed),
device IPs (removed) and counterparties that are phone numbers. Names stay: every consumer of the
360 (fraud, risk, copilot) needs them to talk about the customer.
"""

from __future__ import annotations

import re

from customer360._views import CustomerView, DeviceView, TransactionView

__all__ = ["mask_customer", "mask_device", "mask_email", "mask_id", "mask_phone", "mask_transaction"]

_PHONE_LIKE = re.compile(r"^\+?\d{9,15}$")


def mask_id(value: str) -> str:
    return "*" * max(len(value) - 3, 3) + value[-3:]


def mask_phone(value: str) -> str:
    head = value[:4] if value.startswith("+") else value[:3]
    return head + "*" * max(len(value) - len(head) - 2, 3) + value[-2:]


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_customer(view: CustomerView) -> CustomerView:
    return view.model_copy(
        update={
            "national_id": mask_id(view.national_id) if view.national_id else None,
            "national_ids": [mask_id(v) for v in view.national_ids],
            "kra_pin": mask_id(view.kra_pin) if view.kra_pin else None,
            "phones": [mask_phone(v) for v in view.phones],
            "emails": [mask_email(v) for v in view.emails],
            "date_of_birth": None,
            "address": None,
            "addresses": [],
            "pii_masked": True,
        }
    )


def mask_transaction(view: TransactionView) -> TransactionView:
    if view.counterparty and _PHONE_LIKE.match(view.counterparty):
        return view.model_copy(update={"counterparty": mask_phone(view.counterparty)})
    return view


def mask_device(view: DeviceView) -> DeviceView:
    return view.model_copy(update={"last_ip": None})
