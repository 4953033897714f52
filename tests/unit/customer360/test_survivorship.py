from datetime import UTC, datetime, timedelta

import pytest

from customer360 import SourceCustomer, SurvivorshipPolicy, golden_record
from kernel.events import CustomerPayload

pytestmark = pytest.mark.unit

T = datetime(2026, 11, 1, tzinfo=UTC)
POLICY = SurvivorshipPolicy(version="t", trust_order=("v5", "dfs"))


def src(system: str, key: str, age_h: float = 0, deleted: bool = False, **payload) -> SourceCustomer:
    payload.setdefault("first_name", "Grace")
    payload.setdefault("last_name", "Wanjiru")
    return SourceCustomer(system, key, T - timedelta(hours=age_h), CustomerPayload(**payload), deleted)


# (sources, attribute, expected value, expected source)
CASES = [
    pytest.param(
        [src("dfs", "1", segment="agency"), src("v5", "A", age_h=5, segment="retail")],
        "segment",
        "retail",
        "v5:A",
        id="trust-beats-recency",
    ),
    pytest.param(
        [src("v5", "A", age_h=5, segment="retail"), src("v5", "B", age_h=1, segment="premier")],
        "segment",
        "premier",
        "v5:B",
        id="recency-within-equal-trust",
    ),
    pytest.param(
        [src("v5", "A", address="Nairobi"), src("v5", "B", address="Kilimani Rd 4, Nairobi")],
        "address",
        "Kilimani Rd 4, Nairobi",
        "v5:B",
        id="completeness-breaks-ties",
    ),
    pytest.param(
        [src("v5", "A"), src("dfs", "1", national_id="1234567")],
        "national_id",
        "1234567",
        "dfs:1",
        id="a-less-trusted-value-beats-none",
    ),
    pytest.param(
        [src("v5", "A", segment="retail", deleted=True), src("dfs", "1", segment="agency")],
        "segment",
        "agency",
        "dfs:1",
        id="deleted-records-do-not-vote",
    ),
    pytest.param(
        [src("crm", "z", segment="vip"), src("dfs", "1", segment="agency")],
        "segment",
        "agency",
        "dfs:1",
        id="unknown-systems-rank-last",
    ),
]


@pytest.mark.parametrize(("sources", "attribute", "value", "source"), CASES)
def test_survivorship(sources, attribute, value, source):
    golden = golden_record("G1", sources, POLICY)
    assert getattr(golden, attribute) == value
    assert golden.attribute_sources[attribute]["source"] == source


def test_phones_and_emails_are_the_union_most_trusted_first():
    golden = golden_record(
        "G1",
        [
            src("dfs", "1", phones=("+254700000001",)),
            src("v5", "A", phones=("+254700000002", "+254700000001")),
        ],
        POLICY,
    )
    assert golden.phones == ("+254700000002", "+254700000001")
    assert golden.source_records == ("dfs:1", "v5:A")


def test_full_name_is_composed_from_parts():
    assert (
        golden_record("G", [src("v5", "A", middle_name="Njeri")], POLICY).full_name == "Grace Njeri Wanjiru"
    )
