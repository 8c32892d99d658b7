"""Shared fixtures: a config on a temporary data directory, a running kit on simulated hardware, the app."""

from __future__ import annotations

import os
import shutil

import pytest

from device.config import load_config
from device.kit import Kit
from web import create_app

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, why: str) -> None:
    """Skip a test whose system dependency is missing, except in CI, where that is a failure."""
    if condition:
        return
    if CI:
        pytest.fail(f"CI=true and {why}")
    pytest.skip(why)


def require_program(name: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)
    require(path is not None, f"{name} is not installed (make test installs it when run as root)")
    return path  # type: ignore[return-value]


@pytest.fixture
def config(tmp_path, request):
    """The test kit's config; @pytest.mark.settings(SECTION_KEY=value, ...) adds to it."""
    marker = request.node.get_closest_marker("settings")
    more = {f"AWARENESS_KIT_{key}": str(value) for key, value in (marker.kwargs if marker else {}).items()}
    return load_config(environ={
        "AWARENESS_KIT_STORE_DATA_DIR": str(tmp_path / "data"),
        "AWARENESS_KIT_CAMERA_SOURCE": "simulated",
        "AWARENESS_KIT_MIC_SOURCE": "simulated",
        "AWARENESS_KIT_SENSORS_SOURCE": "simulated",
        "AWARENESS_KIT_STORE_FLUSH_INTERVAL_S": "0.1",
    } | more)


@pytest.fixture
def kit(config):
    kit = Kit(config)
    kit.start()
    yield kit
    kit.stop()


@pytest.fixture
def app(kit):
    return create_app(kit, {"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()
