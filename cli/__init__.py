"""The ``brain`` command line (typer): one module per command group."""

from cli._app import app, main

__all__ = ["app", "main"]
