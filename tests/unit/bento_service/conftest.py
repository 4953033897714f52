from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from bento_service.app import build_app
from bento_service.bootstrap import bootstrap, dev_token_issuer
from bento_service.deps import ServiceDeps
from bento_service.settings import ServiceSettings
from features import InMemoryFeatureStore
from kernel.events import GcidAssigned, parse_event
from kernel.storage import create_db_engine, migrate
from kernel.transport import InProcessBus
from pipelines.processors import Customer360Handler, IdentityHandler
from tests.factories import customer, transaction, velocity_row


class Api:
    def __init__(
        self,
        client: TestClient,
        settings: ServiceSettings,
        bus: InProcessBus,
        features,
        engine,
        deps: ServiceDeps,
    ):
        self.client, self.settings, self.bus, self.features, self.engine, self.deps = (
            client,
            settings,
            bus,
            features,
            engine,
            deps,
        )

    def token(self, *scopes: str) -> dict[str, str]:
        token = dev_token_issuer(self.settings).mint("test", scopes, timedelta(minutes=5))
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(tmp_path):
    settings = ServiceSettings(run_dir=tmp_path, database_url="sqlite://", models_enabled=False)
    engine = create_db_engine("sqlite://")
    migrate(engine)
    bus = InProcessBus()
    identity, c360 = IdentityHandler(engine, bus.publisher()), Customer360Handler(engine)
    for event in (customer("v5", "C1", device_ids=()), customer("dfs", "9", national_id=None)):
        identity.handle(event)
        c360.handle(event)  # both processors consume customer.events
    c360.handle(transaction("v5", "T1", "C1", device_id="dev-1"))
    for r in bus.records("identity.events"):
        c360.handle(parse_event("identity.events", r.value))
    features = InMemoryFeatureStore()
    assigned = parse_event("identity.events", bus.records("identity.events")[0].value)
    assert isinstance(assigned, GcidAssigned)
    gcid = assigned.payload.gcid
    features.push_rows([velocity_row(gcid, datetime.now(UTC), 4, 12_000.0)])
    deps = bootstrap(settings, engine=engine, features=features, publisher=bus.publisher())
    with TestClient(build_app(deps)) as client:
        yield Api(client, settings, bus, features, engine, deps)
    engine.dispose()


@pytest.fixture
def db(tmp_path):
    """A migrated SQLite database where the customer ``v5:C1`` is resolved (the decision tests'
    requester); a test module may define its own ``db`` with more in it."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'brain.db'}")
    migrate(engine)
    IdentityHandler(engine, InProcessBus().publisher()).handle(customer("v5", "C1"))
    yield engine
    engine.dispose()
