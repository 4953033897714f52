from collections.abc import Iterator

import pytest

from infra.local_services import KAFKA, kafka_topics, postgres_database
from kernel.storage import create_db_engine, migrate
from kernel.transport._kafka import KafkaEventPublisher


@pytest.fixture
def topic_prefix():
    with kafka_topics() as prefix:
        yield prefix


@pytest.fixture
def publisher(topic_prefix: str) -> Iterator[KafkaEventPublisher]:
    """A Kafka publisher onto this test's topics."""
    pub = KafkaEventPublisher(KAFKA, "connector-tests", topic_prefix)
    yield pub
    pub.close()


@pytest.fixture
def pg_url():
    with postgres_database() as url:
        yield url


@pytest.fixture
def pg_engine(pg_url):
    """A migrated engine on a fresh database, disposed before the database is dropped."""
    engine = create_db_engine(pg_url)
    migrate(engine)
    yield engine
    engine.dispose()
