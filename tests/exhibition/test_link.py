"""The link: off unless [mqtt] url is set; the network failing is not the kit failing; a kit writes only under
its own topics; the broker's password is shown nowhere."""

from __future__ import annotations

import logging
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from device.config import load_config
from device.kit import Kit
from tests.exhibition.conftest import StillCamera, exhibition_config
from tests.helpers import eventually


def observer(broker, topic: str = "#"):
    """A client allowed to read everything (as Home Assistant would be), collecting what it hears."""
    heard: list = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"observer-{time.monotonic_ns()}")
    client.username_pw_set("observer", broker.passwords["observer"])
    client.on_message = lambda c, u, m: heard.append(m)
    client.on_connect = lambda c, u, f, r, p: c.subscribe(topic, qos=1)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    client.heard = heard
    return client


def stop(client) -> None:
    client.loop_stop()
    client.disconnect()


def test_without_a_url_nothing_is_sent_and_nothing_is_written(tmp_path, config):
    assert config.mqtt.url == "" and config.mqtt.share_signatures is False and config.mqtt.home_assistant is False
    kit = Kit(config, camera=StillCamera())
    kit.start()
    try:
        status = kit.status()["exhibition"]
        assert (status["enabled"], status["state"], status["url"], status["message"]) == (False, "off", False, None)
        assert "exhibition" not in [w.name for w in kit._workers]
        assert kit.exhibition.view()["link"]["enabled"] is False
    finally:
        kit.stop()
    assert not (config.data_dir / "exhibition.json").exists()


def test_with_the_broker_down_the_kit_works_alone_says_so_and_joins_when_it_comes(kits, mosquitto):
    from web import create_app

    mosquitto.kill()
    hall = kits.start("hall")
    assert eventually(lambda: hall.status()["exhibition"]["message"] == "exhibition link down", 5)
    assert eventually(lambda: hall.store.count(kind="sound_level") > 0, 10), "the kit goes on alone"
    page = create_app(hall, {"TESTING": True}).test_client().get("/exhibition").get_data(as_text=True)
    assert "Exhibition link down" in page
    mosquitto.start()
    assert eventually(lambda: hall.status()["exhibition"]["state"] == "up", 10)
    assert hall.status()["exhibition"]["message"] is None


def test_the_broker_killed_and_restarted_the_kits_go_on_and_rejoin(kits, mosquitto):
    hall, cafe = kits.start("hall"), kits.start("cafe")
    assert kits.joined("hall", "cafe")
    mosquitto.kill()
    assert eventually(lambda: all(k.exhibition.status()["state"] == "down" for k in (hall, cafe)), 5)
    written = hall.store.written
    assert eventually(lambda: hall.store.written > written, 5), "storing goes on"
    started = time.monotonic()
    mosquitto.start()
    assert kits.joined("hall", "cafe", timeout=10)
    assert time.monotonic() - started < 5
    assert hall.exhibition.status()["connects"] == 2


def test_a_kit_cannot_publish_under_another_kits_topics(mosquitto):
    watching = observer(mosquitto)
    hall = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="intruder", protocol=mqtt.MQTTv5)
    hall.username_pw_set("hall", mosquitto.passwords["hall"])
    hall.connect("127.0.0.1", mosquitto.port)
    hall.loop_start()
    try:
        time.sleep(0.3)
        for topic in ("awareness-kit/cafe/status", "awareness-kit/cafe/forget/0123456789abcdef",
                      "homeassistant/sensor/cafe/people_now/config", "awareness-kit/hall-2/status", "elsewhere/x"):
            hall.publish(topic, b"offline", qos=1).wait_for_publish(2)
        hall.publish("awareness-kit/hall/status", b"online", qos=1).wait_for_publish(2)
        assert eventually(lambda: any(m.topic == "awareness-kit/hall/status" for m in watching.heard), 5)
        time.sleep(0.3)
        assert [m.topic for m in watching.heard] == ["awareness-kit/hall/status"]
    finally:
        stop(hall)
        stop(watching)
    refused = []                        # and a client without a password is refused outright
    anonymous = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="anonymous", protocol=mqtt.MQTTv5)
    anonymous.on_connect = lambda c, u, f, reason, p: refused.append(reason.is_failure)
    anonymous.connect("127.0.0.1", mosquitto.port)
    anonymous.loop_start()
    try:
        assert eventually(lambda: refused == [True], 5)
    finally:
        stop(anonymous)


def test_the_password_is_shown_nowhere(kits, mosquitto, caplog):
    from web import create_app

    caplog.set_level(logging.INFO)
    hall = kits.start("hall")
    assert kits.joined("hall")
    secret = mosquitto.passwords["hall"]
    client = create_app(hall, {"TESTING": True}).test_client()
    shown = [repr(hall.config), str(hall.status()), str(hall.exhibition.view()), caplog.text,
             *(client.get(path).get_data(as_text=True) for path in ("/exhibition", "/api/exhibition", "/api/status"))]
    assert all(secret not in text for text in shown)
    assert "hall:***@127.0.0.1" in caplog.text


def test_a_url_the_link_cannot_use_is_reported_without_its_password(tmp_path):
    config = exhibition_config(tmp_path, "hall", "http://hall:hunter2@example.org")
    kit = Kit(config, camera=StillCamera())
    kit.start()
    try:
        status = kit.status()["exhibition"]
        assert status["state"] == "off" and "expected mqtt://" in status["error"] and "hunter2" not in str(status)
    finally:
        kit.stop()


def test_the_kits_name_comes_from_the_config_the_url_or_the_host():
    assert load_config(environ={"AWARENESS_KIT_MQTT_URL": "mqtt://cafe:x@h"}).mqtt.name() == "cafe"
    assert load_config(environ={"AWARENESS_KIT_MQTT_URL": "mqtt://cafe:x@h",
                                "AWARENESS_KIT_MQTT_KIT_NAME": "hall"}).mqtt.name() == "hall"
    assert load_config().mqtt.name()


def test_check_says_whether_the_broker_takes_this_kit(mosquitto, tmp_path):
    from device.exhibition.check import broker

    assert broker(load_config()).state == "SKIP"
    good = broker(exhibition_config(tmp_path, "hall", mosquitto.url("hall")))
    assert good.state == "OK" and "hall:***@" in good.detail and mosquitto.passwords["hall"] not in good.detail
    wrong = broker(exhibition_config(tmp_path, "hall", mosquitto.url("hall", "not-it")))
    assert wrong.state == "PROBLEM" and "refused" in wrong.detail and "not-it" not in wrong.detail
    mosquitto.kill()
    gone = broker(exhibition_config(tmp_path, "hall", mosquitto.url("hall")))
    assert gone.state == "PROBLEM" and "cannot reach" in gone.detail
