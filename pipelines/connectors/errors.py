"""Connector errors.

``EnterpriseBrainError``
 └── ``ConnectorError``            a connector cannot run (configuration, source unreachable)
      ├── ``MappingError``         a mapping file is invalid (every problem listed at once)
      └── ``RowError``             one source row cannot be mapped (the row goes to the DLQ)
"""

from __future__ import annotations

from kernel.errors import EnterpriseBrainError

__all__ = ["ConnectorError", "MappingError", "RowError"]


class ConnectorError(EnterpriseBrainError):
    """A connector cannot run."""


class MappingError(ConnectorError):
    """A mapping file is invalid."""


class RowError(ConnectorError):
    """One source row cannot be mapped to its canonical event."""
