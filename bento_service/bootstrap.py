"""The composition root of the API process: every client built from :class:`ServiceSettings`.

Tests pass their own adapters, e.g. ``bootstrap(settings, features=InMemoryFeatureStore())``, and
serve the dependencies it returns with ``build_app(deps)`` (:mod:`bento_service.app`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Engine

from bento_service.auth import TokenVerifier
from bento_service.decision_log import DecisionLog
from bento_service.decisions import DecisionEngine, DecisionSpool, ModelFeatureReader, Scorer
from bento_service.deps import ServiceDeps
from bento_service.dev_tokens import dev_token_issuer
from bento_service.intake import ChannelIntake
from bento_service.outbox import DecisionEventsPublisher, decision_relay, identity_operator_relay
from bento_service.settings import ServiceSettings, get_service_settings
from features import FeatureReader
from kernel.errors import ConfigurationError
from kernel.storage import create_db_engine, reader_engine
from kernel.transport import EventPublisher, InProcessBus
from models.decisioning import DecisionType, RuleSet, bundled_rule_set, load_rule_set

__all__ = ["bootstrap", "dev_token_issuer", "token_verifier"]

log = logging.getLogger(__name__)


def token_verifier(settings: ServiceSettings) -> TokenVerifier:
    if settings.jwks_url:
        return TokenVerifier.from_jwks_url(
            settings.jwks_url, issuer=settings.jwt_issuer, audience=settings.jwt_audience
        )
    issuer = dev_token_issuer(settings)
    issuer.ensure_keys()
    return TokenVerifier.from_jwks_file(
        issuer.jwks_path, issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )


def _feature_reader(settings: ServiceSettings) -> tuple[FeatureReader, FeatureReader]:
    """Feast's store, and the decision path's direct reader of its online store (same answers)."""
    from bento_service.decisions._features import DirectOnlineFeatures  # Feast import is slow
    from features.feast_store import FeastFeatureStore

    store = FeastFeatureStore(settings)
    return store, DirectOnlineFeatures(store)


def _publisher(settings: ServiceSettings) -> EventPublisher:
    if settings.embedded:
        # embedded: decision.events stays inside this process; the decision_log table is the record
        return InProcessBus().publisher()
    from kernel.transport._kafka import KafkaEventPublisher, ReconnectingPublisher

    # never block a decision on Kafka: a short metadata wait, reconnection attempts between requests
    return ReconnectingPublisher(
        lambda: KafkaEventPublisher(
            settings.kafka_bootstrap,
            f"{settings.kafka_client_id}-api",
            settings.topic_prefix,
            max_block_ms=200,
        )
    )


def _rule_sets(paths: list[Path]) -> dict[DecisionType, RuleSet]:
    loaded = [load_rule_set(p) for p in paths]
    by_type = {r.decision_type: r for r in loaded}
    if len(by_type) != len(loaded):
        raise ConfigurationError("two rule sets of the same decision type were configured")
    return by_type


def _registered_models(settings: ServiceSettings, alias: str) -> dict[DecisionType, Scorer]:
    """The MLflow models at ``alias``, loaded before the API serves and following the alias when it
    moves: the ``champion`` scores the answer (rules alone until one is promoted); the
    ``challenger`` is scored and logged beside it, never answering (skipped while none is set)."""
    from bento_service.champion import ChampionModel  # MLflow import is slow: only when used

    assert settings.mlflow_tracking_uri is not None
    uri, poll = settings.mlflow_tracking_uri, settings.model_poll_s
    fraud = ChampionModel(uri, settings.fraud_model, alias=alias, poll_interval_s=poll)
    credit = ChampionModel(uri, settings.credit_model, alias=alias, poll_interval_s=poll)
    for model in (fraud, credit):
        # the first load before the API serves: a decision never races the model's load for the
        # CPU (a load takes seconds of compute); then the alias is polled in the background
        model.start()
    return {DecisionType.TRANSACTION: fraud, DecisionType.CREDIT: credit}


def bootstrap(
    settings: ServiceSettings | None = None,
    *,
    engine: Engine | None = None,
    features: FeatureReader | None = None,
    publisher: EventPublisher | None = None,
    verifier: TokenVerifier | None = None,
    scorers: Mapping[DecisionType, Scorer] | None = None,
    challengers: Mapping[DecisionType, Scorer] | None = None,
) -> ServiceDeps:
    settings = settings or get_service_settings()
    # single-row reads and the decision log: the plan cache pays (see create_db_engine)
    engine = engine or create_db_engine(settings.db_url, plan_per_execution=False)
    reader = reader_engine(engine)  # one autocommit pool for every single-statement read
    decision_features = features
    if features is None:
        features, decision_features = _feature_reader(settings)
    active = {t: bundled_rule_set(t) for t in DecisionType} | _rule_sets(settings.rule_sets)
    out = publisher or _publisher(settings)
    model_features: ModelFeatureReader | None = None
    for candidate in (decision_features, features):  # the direct reader when there is one
        if isinstance(candidate, ModelFeatureReader):
            model_features = candidate
            break
    decisions = DecisionEngine(
        engine=engine,
        features=decision_features or features,
        decision_log=DecisionLog(engine, reader=reader),
        spool=DecisionSpool(settings.decision_spool),
        rule_sets=active,
        shadow_rule_sets=_rule_sets(settings.shadow_rule_sets),
        scorers=scorers
        if scorers is not None
        else (_registered_models(settings, "champion") if settings.models_enabled else {}),
        challengers=challengers
        if challengers is not None
        else (_registered_models(settings, "challenger") if settings.models_enabled else {}),
        model_features=model_features,
        budget_ms=settings.decision_budget_ms,
        listener=DecisionEventsPublisher(engine, out),  # decision.events from the committed batches
    )
    decisions.warm_up()
    deps = ServiceDeps(
        settings=settings,
        engine=engine,
        reader=reader,
        verifier=verifier or token_verifier(settings),
        features=features,
        decisions=decisions,
        relays=(decision_relay(engine, out), identity_operator_relay(engine, out)),
        intake=ChannelIntake(out),
    )
    log.info("API bootstrapped: profile=%s db=%s", settings.profile.value, engine.url.render_as_string())
    return deps
