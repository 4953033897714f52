"""The Kafka client's own deprecation warnings, kept out of what users read.

kafka-python 3.0 loads its protocol schemas with the legacy ``importlib.resources`` API and warns
about it at every start; nothing a user of the Brain can act on. Each process's composition root
(the CLI, the BentoML service) calls :func:`silence_kafka_client_deprecations` before the client
is imported. Only those warnings are filtered: every other deprecation still shows.
"""

from __future__ import annotations

import warnings

__all__ = ["silence_kafka_client_deprecations"]

_LEGACY_RESOURCES = r"(read_text|open_text|open_binary|is_resource|contents) is deprecated"


def silence_kafka_client_deprecations() -> None:
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"kafka(\.|$)")
    # raised inside importlib.resources on kafka's behalf (the warning names the caller's caller)
    warnings.filterwarnings("ignore", message=_LEGACY_RESOURCES, category=DeprecationWarning)
