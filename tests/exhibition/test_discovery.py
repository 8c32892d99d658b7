"""Home Assistant MQTT discovery: switched on, each kit is a device with sensors, announced by retained configs
that are valid JSON with the fields Home Assistant needs, available while the kit's status says "online"."""

from __future__ import annotations

import json

from tests.exhibition.test_link import observer, stop
from tests.helpers import eventually

REQUIRED = {"name", "unique_id", "state_topic", "value_template", "availability_topic", "payload_available",
            "payload_not_available", "device"}


def test_discovery_configs_are_valid_retained_and_follow_the_conventions(kits, mosquitto):
    kits.start("hall", MQTT_HOME_ASSISTANT="true")
    kits.start("cafe")                                  # off by default: announces nothing
    assert kits.joined("hall", "cafe")
    late = observer(mosquitto, "homeassistant/#")       # connects afterwards: gets only what is retained
    try:
        assert eventually(lambda: len(late.heard) >= 5, 5)
        configs = {m.topic: m for m in late.heard}
        assert all(m.retain for m in configs.values())
        assert all(topic.startswith(("homeassistant/sensor/hall/", "homeassistant/binary_sensor/hall/"))
                   and topic.endswith("/config") for topic in configs)
        payloads = [json.loads(m.payload) for m in configs.values()]
        for payload in payloads:
            assert REQUIRED <= set(payload), REQUIRED - set(payload)
            assert payload["state_topic"] == "awareness-kit/hall/summary"
            assert payload["availability_topic"] == "awareness-kit/hall/status"
            assert (payload["payload_available"], payload["payload_not_available"]) == ("online", "offline")
            assert payload["device"]["identifiers"] == ["awareness-kit-hall"]
        assert len({p["unique_id"] for p in payloads}) == len(payloads)
    finally:
        stop(late)
    # what the templates read is in the retained summary, and the status says the device is available
    state = observer(mosquitto, "awareness-kit/hall/#")
    try:
        assert eventually(lambda: {"awareness-kit/hall/summary", "awareness-kit/hall/status"}
                          <= {m.topic for m in state.heard if m.retain}, 5)
        summary = json.loads(next(m.payload for m in state.heard if m.topic.endswith("/summary")))
        assert {"people_now", "tracked", "sound_dbfs", "speaking", "presence"} <= set(summary)
        assert next(m.payload for m in state.heard if m.topic.endswith("/status")) == b"online"
    finally:
        stop(state)


def test_a_kit_stopped_says_offline_and_its_will_says_it_when_it_dies(kits, mosquitto):
    import socket

    kits.start("hall")
    garden = kits.start("garden")
    cafe = kits.start("cafe")
    assert kits.joined("hall", "cafe", "garden")
    kits.stop("hall")
    assert eventually(lambda: cafe.exhibition.kits()["hall"]["online"] is False, 5)
    client = garden.exhibition.link._client            # the garden's kit dies: no goodbye, its connection drops
    client.loop_stop()
    client.socket().shutdown(socket.SHUT_RDWR)
    assert eventually(lambda: cafe.exhibition.kits()["garden"]["online"] is False, 5), "the will"
    view = cafe.exhibition.view()
    assert [(k["name"], k["online"]) for k in view["kits"]] == [("cafe", True), ("garden", False), ("hall", False)]
