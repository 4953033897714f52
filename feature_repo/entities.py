"""Entities of the Brain's feature repo: who a feature row is about.

Every customer-scoped feature is keyed by the Global Customer ID (``gcid``), the opaque id the
identity resolver owns. ``account`` and ``device`` are declared now so that later views can key on
them without a registry migration.
"""

from __future__ import annotations

from feast import Entity, ValueType

__all__ = ["account", "customer", "device"]

customer = Entity(
    name="customer",
    join_keys=["gcid"],
    value_type=ValueType.STRING,
    description="A customer as resolved by the Brain: the Global Customer ID (survivor after merges).",
    tags={"owner": "identity", "domain": "customer"},
)

account = Entity(
    name="account",
    join_keys=["account_key"],
    value_type=ValueType.STRING,
    description="An account, keyed by the canonical account key (source system + account number).",
    tags={"owner": "customer360", "domain": "account"},
)

device = Entity(
    name="device",
    join_keys=["device_key"],
    value_type=ValueType.STRING,
    description="A device, keyed by its fingerprint hash.",
    tags={"owner": "fraud", "domain": "device"},
)
