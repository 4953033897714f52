"""The routes' dependencies come from the app serving the request (``app.state.deps``)."""

import pytest
from fastapi.testclient import TestClient

from bento_service.app import build_app
from bento_service.problems import PROBLEM_MEDIA_TYPE

pytestmark = pytest.mark.unit


def test_an_app_without_dependencies_answers_a_configuration_problem() -> None:
    with TestClient(build_app(bench_routes=True)) as client:
        response = client.get("/v1/decisions/decision-1", headers={"Authorization": "Bearer x.y.z"})
        assert client.post("/v1/noop/mounted").json() == {"ok": True}  # needs no dependencies
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["type"].endswith("/configuration-error")


def test_each_app_serves_its_own_dependencies(api) -> None:
    assert api.client.app.state.deps is api.deps
    other = build_app()
    assert not hasattr(other.state, "deps")
