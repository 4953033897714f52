"""Stream processors: each a :class:`Handler` run by the shared :class:`ProcessorRunner` loop."""

from pipelines.processors._runner import Handler, ProcessorRunner
from pipelines.processors.customer360 import Customer360Handler
from pipelines.processors.features import FeaturesHandler
from pipelines.processors.identity import IdentityHandler

__all__ = ["Customer360Handler", "FeaturesHandler", "Handler", "IdentityHandler", "ProcessorRunner"]
