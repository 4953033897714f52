"""The ``brain`` entry point answers the platform's own errors with one line, not a traceback."""

from __future__ import annotations

import pytest

from cli import _app, main
from pipelines.connectors import ConnectorError

pytestmark = pytest.mark.unit


def _unknown_system() -> None:
    raise ConnectorError("unknown system 'nope' (known: v5, dfs)")


def _bug() -> None:
    raise RuntimeError("a bug")


def test_a_platform_error_is_one_line_on_stderr_and_exit_1(monkeypatch, capsys):
    monkeypatch.setattr(_app, "app", _unknown_system)
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    assert capsys.readouterr().err == "error: unknown system 'nope' (known: v5, dfs)\n"


def test_anything_else_still_raises_with_its_traceback(monkeypatch):
    monkeypatch.setattr(_app, "app", _bug)
    with pytest.raises(RuntimeError, match="a bug"):
        main()
