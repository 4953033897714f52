"""Build a Feast ``FeatureView`` on ``customer`` from its catalog entry."""

from __future__ import annotations

from feast import FeatureView, Field, PushSource
from feast.types import Float64, Int64, PrimitiveFeastType, String

from feature_repo.catalog import Kind, ViewColumns
from feature_repo.entities import customer

__all__ = ["streamed_view"]

_TYPES: dict[Kind, PrimitiveFeastType] = {"int64": Int64, "float64": Float64, "string": String}


def streamed_view(spec: ViewColumns, source: PushSource) -> FeatureView:
    return FeatureView(
        name=spec.name,
        entities=[customer],
        ttl=spec.ttl,
        schema=[
            Field(name="gcid", dtype=String),
            *(Field(name=c.name, dtype=_TYPES[c.kind], description=c.description) for c in spec.columns),
        ],
        online=True,
        source=source,
        description=spec.description,
        tags={"owner": "features", "domain": spec.domain},
    )
