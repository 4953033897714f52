"""The columns of every streamed feature view, as plain data (no Feast import).

This is the single source of truth shared by the Feast definitions (``feature_repo.views``), the
streaming aggregator (:mod:`features.activity`), the Parquet schema of the offline
store (:mod:`features.feast_store`), the models' feature lists (``models``) and the decision
rules' vocabulary: :data:`FEATURES` names every feature a rule may read as ``features.<name>``
(``models.decisioning`` validates rule sets against it, the ``decision_context_v1`` feature
service serves all of it).
Add a column here, then to the aggregator; a published feature service is never edited (version it).

A column with a ``window`` aggregates the events in ``(t - window, t]`` as of its row's time
``t``; once the row is older than the window it no longer describes the last ``window`` and is
served as null (:func:`features.decision_context`), like a view whose ttl has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

__all__ = [
    "CHANNELS",
    "FEATURES",
    "COUNTERPARTY_NOVELTY",
    "CUSTOMER_PROFILE",
    "CUSTOMER_RISK",
    "LOGIN_DEVICE",
    "STREAMED_VIEWS",
    "TRANSACTION_WINDOWS",
    "WINDOWS",
    "Column",
    "Kind",
    "ViewColumns",
]

Kind = Literal["int64", "float64", "string"]

#: Sliding windows of the transaction aggregates: label -> length.
WINDOWS: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
#: Channels with their own 24 h count (== kernel.events Channel).
CHANNELS = ("mpesa", "card", "ussd", "agency", "branch", "internet", "mobile", "atm", "api")


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: Kind
    description: str
    window: timedelta | None = None
    """The aggregate's window, if it is one: the value describes ``(t - window, t]``."""


@dataclass(frozen=True, slots=True)
class ViewColumns:
    """One streamed view on ``customer``: its name, domain tag, ttl and feature columns."""

    name: str
    domain: str
    ttl: timedelta
    description: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _window_columns() -> tuple[Column, ...]:
    out: list[Column] = []
    for label, window in WINDOWS.items():
        span = f"(t-{label}, t]"
        out += [
            Column(f"txn_count_{label}", "int64", f"Posted transactions in {span}.", window),
            Column(f"txn_amount_sum_{label}", "float64", f"Sum of amounts in {span}, major units.", window),
            Column(f"txn_amount_mean_{label}", "float64", f"Mean amount in {span}; null when none.", window),
            Column(
                f"txn_amount_max_{label}", "float64", f"Largest amount in {span}; null when none.", window
            ),
        ]
    day = WINDOWS["24h"]
    out += [
        Column(f"txn_count_24h_{ch}", "int64", f"Transactions on {ch} in (t-24h, t].", day) for ch in CHANNELS
    ]
    out.append(Column("last_txn_epoch", "float64", "Unix time (s) of the latest transaction at or before t."))
    return tuple(out)


TRANSACTION_WINDOWS = ViewColumns(
    name="transaction_windows",
    domain="transactions",
    ttl=timedelta(days=30),
    description="Count/sum/mean/max of a customer's posted transactions over 1 h, 24 h, 7 d, 30 d, "
    "and 24 h counts by channel, as of each transaction.",
    columns=_window_columns(),
)

COUNTERPARTY_NOVELTY = ViewColumns(
    name="counterparty_novelty",
    domain="transactions",
    ttl=timedelta(days=30),
    description="New payees and counterparty spread, as of each transaction.",
    columns=(
        Column(
            "new_payees_24h",
            "int64",
            "Counterparties first paid in (t-24h, t] (unseen in the 30 d before).",
            WINDOWS["24h"],
        ),
        Column("distinct_counterparties_7d", "int64", "Distinct counterparties in (t-7d, t].", WINDOWS["7d"]),
    ),
)

LOGIN_DEVICE = ViewColumns(
    name="login_device",
    domain="logins",
    ttl=timedelta(days=30),
    description="Login failures and device/location novelty, as of each login.",
    columns=(
        Column("failed_logins_1h", "int64", "Failed logins in (t-1h, t].", WINDOWS["1h"]),
        Column(
            "distinct_devices_30d", "int64", "Distinct devices used to log in in (t-30d, t].", WINDOWS["30d"]
        ),
        Column("new_device", "int64", "1 if the login at t used a device unseen in the 30 d before."),
        Column(
            "new_location", "int64", "1 if the login at t came from a location unseen in the 30 d before."
        ),
    ),
)

CUSTOMER_PROFILE = ViewColumns(
    name="customer_profile",
    domain="customer",
    ttl=timedelta(days=3650),
    description="Slowly changing profile of the customer, as of each customer or account change.",
    columns=(
        Column("tenure_days", "int64", "Days since the customer's first record or account opening."),
        Column("kyc_tier", "int64", "KYC tier 0-3 (latest known)."),
        Column("segment", "string", "Customer segment (latest known)."),
        Column("products_held", "int64", "Distinct account types among open accounts."),
    ),
)

CUSTOMER_RISK = ViewColumns(
    name="customer_risk",
    domain="risk",
    ttl=timedelta(days=3650),
    description="Risk ratings and open fraud alerts, as of each risk or fraud event.",
    columns=(
        Column("aml_rating", "int64", "AML rating: 0 unknown, 1 low, 2 medium, 3 high, 4 very high."),
        Column("credit_score", "float64", "Latest credit score (0-1000); null when none."),
        Column("open_fraud_alerts", "int64", "Fraud alerts currently open."),
    ),
)

STREAMED_VIEWS = (TRANSACTION_WINDOWS, COUNTERPARTY_NOVELTY, LOGIN_DEVICE, CUSTOMER_PROFILE, CUSTOMER_RISK)


def _vocabulary(views: tuple[ViewColumns, ...]) -> dict[str, ViewColumns]:
    out: dict[str, ViewColumns] = {}
    for view in views:
        for name in view.names:
            if name in out:
                raise ValueError(f"feature {name} is declared by both {out[name].name} and {view.name}")
            out[name] = view
    return out


#: Every streamed feature by name, with the view that declares it: the vocabulary of decision rules.
FEATURES: dict[str, ViewColumns] = _vocabulary(STREAMED_VIEWS)
