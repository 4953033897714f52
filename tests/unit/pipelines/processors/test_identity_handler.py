"""The identity processor resolves with the shipped Fellegi–Sunter settings by default."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from identity import load_default_settings, wekeza_settings
from identity import load_settings as load_identity_settings
from kernel.events import GcidAssigned, parse_event
from kernel.storage import create_db_engine, migrate
from kernel.storage.schema import identity_lineage, identity_record
from kernel.transport import InProcessBus
from pipelines.processors.identity import IdentityHandler
from pipelines.simulator import simulate_bank
from tests.factories import customer

pytestmark = pytest.mark.unit


@pytest.fixture
def engine():
    e = create_db_engine("sqlite://")
    migrate(e)
    yield e
    e.dispose()


def check_simulated_bank(engine: Engine, customers: int, seed: int) -> tuple[int, int]:
    """Resolve a simulated bank through the default processor; every cross-system duplicate is on
    one GCID and no two members of a household (sharing a phone) are. Returns the numbers checked."""
    bank = simulate_bank(customers, seed, datetime(2026, 1, 1, tzinfo=UTC))
    handler = IdentityHandler(engine, InProcessBus().publisher())
    for event in bank.customers:
        handler.handle(event)
    with engine.connect() as conn:
        rows = conn.execute(
            select(identity_record.c.source_system, identity_record.c.source_key, identity_record.c.gcid)
        ).all()
    gcid_of = {(r.source_system, r.source_key): r.gcid for r in rows}
    by_person: dict[str, set[str]] = defaultdict(set)
    for ref, person in bank.truth.items():
        by_person[person].add(gcid_of[ref])
    duplicated = [p for p in by_person if sum(1 for q in bank.truth.values() if q == p) > 1]
    assert duplicated and all(len(by_person[p]) == 1 for p in duplicated), "a duplicate was not linked"
    members: dict[str, list[str]] = defaultdict(list)
    for person, house in bank.households.items():
        if person in by_person:
            members[house].append(person)
    households = [ps for ps in members.values() if len(ps) > 1]
    shared = [(a, b) for ps in households for i, a in enumerate(ps) for b in ps[i + 1 :]]
    assert shared, "the simulation has no household"
    for a, b in shared:
        assert not by_person[a] & by_person[b], f"household members {a} and {b} share a GCID"
    assert len({g for gs in by_person.values() for g in gs}) == len(by_person)
    return len(duplicated), len(shared)


def test_simulated_duplicates_share_a_gcid_and_households_do_not(engine) -> None:
    duplicated, households = check_simulated_bank(engine, customers=80, seed=3)
    assert duplicated > 5 and households > 2


def test_the_default_is_the_shipped_trained_settings_and_lineage_names_them(engine) -> None:
    bus = InProcessBus()
    IdentityHandler(engine, bus.publisher()).handle(customer("v5", "C1"))
    shipped = load_default_settings()
    assert shipped.trained
    (event,) = [parse_event("identity.events", r.value) for r in bus.records("identity.events")]
    assert isinstance(event, GcidAssigned)
    assert event.payload.settings_version == shipped.settings_version
    with engine.connect() as conn:
        assert conn.execute(select(identity_lineage.c.settings_version)).scalar_one() == (
            shipped.settings_version
        )
    assert load_identity_settings(None) == shipped


def test_the_shipped_settings_are_the_template_with_weights() -> None:
    """`make identity-settings` re-trains them; a template change must be re-trained and shipped."""
    shipped, template = load_default_settings(), wekeza_settings()
    assert (shipped.name, shipped.version) == (template.name, template.version)
    assert shipped.blocking_rules == template.blocking_rules
    assert shipped.training_rules == template.training_rules

    def shape(s):  # levels without their m and u
        return [(c.name, c.field, [(lv.kind, lv.threshold, lv.other_field) for lv in c.levels]) for c in s]

    assert shape(shipped.comparisons) == shape(template.comparisons)
