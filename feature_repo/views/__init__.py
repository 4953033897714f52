"""Feature views, one module per domain."""
