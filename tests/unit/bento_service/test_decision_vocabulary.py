"""One feature vocabulary: what rules may read is what serving supplies, with real values.

The shipped rules read ``features.txn_count_24h``, ``features.txn_amount_sum_24h`` (R005, R006,
R008) and ``features.failed_logins_1h`` (L003, L004). Before the vocabulary came from the feature
catalog the serving context held only the two 24 h transaction features, so L003/L004 validated
and never fired.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bento_service.decision_log import DecisionLog
from bento_service.decisions import DecisionEngine, build_context
from bento_service.decisions._features import DirectOnlineFeatures
from bento_service.decisions._spool import DecisionSpool
from feature_repo.catalog import FEATURES
from features import DECISION_FEATURES, InMemoryFeatureStore
from features.feast_store import FeastFeatureStore
from kernel.events import GcidAssigned, LoginAttempted, LoginPayload, make_event_id, parse_event
from kernel.storage import create_db_engine, migrate
from kernel.transport import InProcessBus
from models.decisioning import (
    FIELDS,
    DecisionType,
    RuleSetInvalid,
    bundled_rule_set,
    features_read,
    parse_rule_set,
)
from pipelines.processors import FeaturesHandler, IdentityHandler
from pipelines.settings import PipelineSettings
from tests.factories import customer, decision_request, feature_row, transaction

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3] / "feature_repo"
RULES = {t: bundled_rule_set(t) for t in DecisionType}
SHIPPED_READS = sorted(set().union(*(features_read(r) for r in RULES.values())))


def test_the_rule_vocabulary_is_the_feature_catalog():
    for kind in DecisionType:
        assert {f for f in FIELDS[kind] if f.startswith("features.")} == {f"features.{n}" for n in FEATURES}
    assert set(DECISION_FEATURES) == set(FEATURES)
    assert SHIPPED_READS == ["failed_logins_1h", "txn_amount_sum_24h", "txn_count_24h"]


def test_a_rule_naming_a_feature_outside_the_catalog_is_refused_when_it_loads():
    with pytest.raises(RuleSetInvalid, match="features.logins_failed_1h"):
        parse_rule_set(
            {
                "decision_type": "login",
                "version": "t",
                "rules": [
                    {
                        "id": "X",
                        "reason": "LOGIN_MANY_FAILURES",
                        "outcome": "DENY",
                        "when": "features.logins_failed_1h > 1",
                    }
                ],
            }
        )


class _Partial(InMemoryFeatureStore):
    """A reader that serves the transaction features only (as serving did before the catalog)."""

    @property
    def supplied_features(self) -> frozenset[str]:
        return frozenset({"txn_count_24h", "txn_amount_sum_24h"})


def test_a_rule_set_reading_a_feature_serving_does_not_supply_is_refused(db, tmp_path):
    with pytest.raises(RuleSetInvalid) as refused:
        DecisionEngine(
            engine=db,
            features=_Partial(),
            decision_log=DecisionLog(db),
            spool=DecisionSpool(tmp_path / "spool.jsonl"),
            rule_sets=RULES,
        )
    assert refused.value.errors == (
        "reads features.failed_logins_1h, which the decision context does not serve",
    )


def _login(key: str, at: datetime, success: bool) -> LoginAttempted:
    return LoginAttempted(
        event_id=make_event_id("v5", "logins", key, "1"),
        source_system="v5",
        source_table="logins",
        source_key=key,
        occurred_at=at,
        payload=LoginPayload(customer_source_key="C1", channel="mobile", success=success, device_id="d1"),
    )


def test_every_feature_a_shipped_rule_reads_reaches_the_serving_context_with_a_real_value(tmp_path):
    """Events through the real processors into the embedded Feast store, read back by the API's
    direct reader: each feature the shipped rules read is in the rule context, not null."""
    now = datetime.now(UTC).replace(microsecond=0)
    engine = create_db_engine(f"sqlite:///{tmp_path / 'brain.db'}")
    migrate(engine)
    store = FeastFeatureStore(PipelineSettings(run_dir=tmp_path, feast_repo=REPO))
    store.apply()
    bus = InProcessBus()
    IdentityHandler(engine, bus.publisher()).handle(customer(at=now - timedelta(days=3)))
    processor = FeaturesHandler(engine, store)
    for record in bus.records("identity.events"):
        processor.handle(parse_event("identity.events", record.value))
    processor.handle(transaction(key="T1", at=now - timedelta(hours=2), amount="1500.00"))
    for i in range(4):
        processor.handle(_login(f"L{i}", now - timedelta(minutes=20 - i), success=False))
    processor.flush()
    assigned = parse_event("identity.events", bus.records("identity.events")[0].value)
    assert isinstance(assigned, GcidAssigned)
    gcid = assigned.payload.gcid

    direct = DirectOnlineFeatures(store)
    online = direct.online_features(gcid)
    assert online == store.online_features(gcid)  # the direct read answers as Feast's
    context = build_context(decision_request("100"), gcid, None, online, None, False)
    assert {name: context[f"features.{name}"] for name in SHIPPED_READS} == {
        "failed_logins_1h": 4,
        "txn_amount_sum_24h": 1500.0,
        "txn_count_24h": 1,
    }
    assert direct.supplied_features == frozenset(DECISION_FEATURES)
    engine.dispose()


def test_l003_denies_a_login_after_a_burst_of_failed_logins(api):
    request = decision_request("100").model_dump(mode="json")
    gcid = api.client.post("/v1/decisions/transaction", json=request, headers=api.token("decision:write"))
    gcid = gcid.json()["gcid"]
    who = {"source_system": "v5", "customer_source_key": "C1", "channel": "mobile", "device_id": "dev-1"}
    headers = api.token("decision:write")
    before = api.client.post("/v1/decisions/login", json=who, headers=headers).json()
    assert "L003" not in before["fired_rules"]

    api.features.push_rows([feature_row("login_device", gcid, datetime.now(UTC), failed_logins_1h=12)])

    after = api.client.post("/v1/decisions/login", json=who, headers=headers).json()
    assert after["outcome"] == "DENY" and "L003" in after["fired_rules"]
    assert "LOGIN_MANY_FAILURES" in [r["code"] for r in after["reasons"]]
    logged = api.client.get(f"/v1/decisions/{after['decision_id']}", headers=api.token("decision:read"))
    assert logged.json()["inputs"]["features"] == {"failed_logins_1h": 12}  # what the login rules read
