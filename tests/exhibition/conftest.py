"""The exhibition's fixtures: a real Mosquitto on a free loopback port (passwords, an ACL per kit), and kits on
it, each with its own data directory and name, on simulated hardware with a still camera (the tests play the
people each room sees through its hub, as the vision pipeline publishes them)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from device.config import load_config
from device.kit import Kit
from tests.conftest import require
from tests.exhibition.broker import Mosquitto, programs
from tests.helpers import eventually

ROOMS = ["hall", "cafe", "garden"]


class StillCamera:
    """An empty room, two small frames a second: the vision worker runs and finds nobody."""

    real = False
    name = "still"

    def open(self) -> None:
        self.image = np.full((120, 160, 3), 128, np.uint8)

    def read(self, stop: threading.Event):
        return None if stop.wait(0.5) else (self.image, None)

    def close(self) -> None:
        pass


def exhibition_config(data_dir, name: str, url: str, **more: str):
    """A kit of the exhibition: simulated hardware, its own data directory, [mqtt] set; *more*: SECTION_KEY=value."""
    return load_config(environ={
        "AWARENESS_KIT_STORE_DATA_DIR": str(data_dir),
        "AWARENESS_KIT_CAMERA_SOURCE": "simulated", "AWARENESS_KIT_MIC_SOURCE": "simulated",
        "AWARENESS_KIT_SENSORS_SOURCE": "simulated", "AWARENESS_KIT_STORE_FLUSH_INTERVAL_S": "0.1",
        "AWARENESS_KIT_MQTT_URL": url, "AWARENESS_KIT_MQTT_KIT_NAME": name,
        "AWARENESS_KIT_MQTT_SHARE_SIGNATURES": "true", "AWARENESS_KIT_SIM_ROOMS": ",".join(ROOMS),
    } | {f"AWARENESS_KIT_{key}": value for key, value in more.items()})


@pytest.fixture
def mosquitto(tmp_path):
    mosquitto, passwd = programs()
    require(mosquitto is not None and passwd is not None,
            "mosquitto is not installed (make test installs Debian's mosquitto when run as root)")
    broker = Mosquitto(tmp_path / "broker", ROOMS).start()
    yield broker
    broker.kill()


class Kits:
    """Starts kits of the exhibition and stops them all at the end of the test."""

    def __init__(self, tmp_path, broker: Mosquitto) -> None:
        self.tmp_path = tmp_path
        self.broker = broker
        self.running: dict[str, Kit] = {}

    def start(self, name: str, **more: str) -> Kit:
        config = exhibition_config(self.tmp_path / name, name, self.broker.url(name), **more)
        kit = Kit(config, camera=StillCamera())
        kit.exhibition.summary_every_s = 0.5
        if kit.exhibition.link is not None:
            kit.exhibition.link.backoff_s = (0.2, 1.0)       # the tests' broker comes back at once
        kit.start()
        self.running[name] = kit
        return kit

    def stop(self, name: str) -> None:
        self.running.pop(name).stop()

    def joined(self, *names: str, timeout: float = 10.0) -> bool:
        """Every kit named is up and knows every other one is online."""
        return eventually(lambda: all(
            self.running[n].exhibition.status()["state"] == "up"
            and all(self.running[n].exhibition.kits().get(m, {}).get("online") for m in names)
            for n in names), timeout)

    def close(self) -> None:
        for kit in self.running.values():
            kit.stop()


@pytest.fixture
def kits(tmp_path, mosquitto):
    kits = Kits(tmp_path, mosquitto)
    yield kits
    kits.close()
