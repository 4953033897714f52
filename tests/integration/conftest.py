import pytest

from pipelines.storage import create_db_engine, migrate
from tests.services import kafka_topics, postgres_database


@pytest.fixture
def topic_prefix():
    with kafka_topics() as prefix:
        yield prefix


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
