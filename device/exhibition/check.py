"""`awareness-kit check`: can this kit reach the exhibition's broker, and does the broker take its name and
password? Never prints the password.

    broker(config)      # Result("broker", "OK" | "PROBLEM" | "SKIP", detail)
"""

from __future__ import annotations

import threading
from typing import Any

TIMEOUT_S = 5.0


def broker(config: Any) -> Any:
    from device.check import Result

    url = config.mqtt.url
    if not url:
        return Result("broker", "SKIP", "no exhibition: [mqtt] url is empty, so nothing is sent anywhere")
    try:
        parts = url.parts()
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion
    except ValueError as exc:
        return Result("broker", "PROBLEM", f"[mqtt] url {url.redacted()}: {exc}")
    except ImportError:
        return Result("broker", "PROBLEM", "paho-mqtt is missing: pip install 'paho-mqtt>=2.0,<3'")
    answered: list[Any] = []
    done = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv5)
    if parts.username is not None:
        client.username_pw_set(parts.username, parts.password)
    if parts.tls:
        client.tls_set()
    client.on_connect = lambda c, u, flags, reason, p: (answered.append(reason), done.set())
    try:
        client.connect(parts.host, parts.port, keepalive=10)
    except OSError as exc:
        return Result("broker", "PROBLEM", f"cannot reach {parts.host}:{parts.port} ({exc.strerror or exc}): is "
                      "Mosquitto running on the kit that hosts it (systemd/install.sh --broker), and on this network?")
    client.loop_start()
    try:
        done.wait(TIMEOUT_S)
    finally:
        client.disconnect()
        client.loop_stop()
    if not answered:
        return Result("broker", "PROBLEM", f"{parts.host}:{parts.port} did not answer as an MQTT broker")
    if answered[0].is_failure:
        return Result("broker", "PROBLEM", f"{url.redacted()} refused this kit ({answered[0]}): check the kit's name "
                      f"and password in /etc/awareness-kit/broker-passwords on the broker's kit")
    return Result("broker", "OK", f"{url.redacted()} takes this kit as {config.mqtt.name()}")
