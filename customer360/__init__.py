"""Customer 360: the golden record (survivorship), accounts and transactions under a GCID."""

from customer360._projection import (
    drop_golden,
    refresh_golden,
    upsert_account,
    upsert_source_customer,
    upsert_transaction,
)
from customer360._queries import get_accounts, get_customer, get_recent_transactions, member_refs, survivor_of
from customer360._survivorship import (
    DEFAULT_POLICY,
    GoldenRecord,
    SourceCustomer,
    SurvivorshipPolicy,
    golden_record,
)
from customer360._views import AccountView, AttributeSource, CustomerView, TransactionView

__all__ = [
    "DEFAULT_POLICY",
    "AccountView",
    "AttributeSource",
    "CustomerView",
    "GoldenRecord",
    "SourceCustomer",
    "SurvivorshipPolicy",
    "TransactionView",
    "drop_golden",
    "get_accounts",
    "get_customer",
    "get_recent_transactions",
    "golden_record",
    "member_refs",
    "refresh_golden",
    "survivor_of",
    "upsert_account",
    "upsert_source_customer",
    "upsert_transaction",
]
