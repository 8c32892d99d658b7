"""The MQTT connection to the exhibition's broker (paho-mqtt 2.x): a will, reconnection with back-off and a
persistent session, so that a kit that was away gets the commands sent meanwhile.

    link = Link(url, "hall", on_connect=..., on_message=...)    # callbacks run on paho's network thread
    link.start()                      # connects in the background, and again whenever the broker comes back
    link.publish(topic, payload, qos=1, retain=False)     # False while the link is down
    link.close()                      # "offline" (retained), then a clean disconnect

The broker being away is not the kit failing: start() never raises for the network, and status() says
"down" with the reason (never the password) until paho's loop gets back in by itself.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

from device.exhibition import topics
from device.exhibition.settings import BrokerUrl

logger = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 24 * 3600    # the broker keeps a kit's session (and its QoS 1 messages) a week
KEEPALIVE_S = 10                    # a broker gone silently is noticed within about 15 s
MAX_QUEUED = 1000                   # QoS 1 messages paho keeps while the broker is away


class Link:
    def __init__(self, url: BrokerUrl, name: str, *, on_connect: Callable[[], None],
                 on_message: Callable[[str, bytes, bool], None], backoff_s: tuple[float, float] = (1.0, 30.0),
                 keepalive_s: int = KEEPALIVE_S) -> None:
        self.url = url
        self.name = name
        self._on_connect = on_connect
        self._on_message = on_message
        self.backoff_s = backoff_s
        self._keepalive = keepalive_s
        self._client: Any = None
        self._lock = threading.Lock()
        self.state = "off"              # off, connecting, up, down
        self.since = time.time()
        self.error: str | None = None
        self.connects = 0
        self.sent = 0
        self.received = 0
        self.refused = 0                # publishes refused while down

    def _set(self, state: str, error: str | None = None) -> None:
        with self._lock:
            if state != self.state:
                self.since = time.time()
            self.state, self.error = state, error

    def start(self) -> None:
        """Connect in the background; a URL the link cannot use leaves it off, saying why (redacted)."""
        try:
            broker = self.url.parts()
            import paho.mqtt.client as mqtt
            from paho.mqtt.enums import CallbackAPIVersion
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties
        except ValueError as exc:
            self._set("off", f"[mqtt] url {self.url.redacted()}: {exc}")
            logger.warning("exhibition: %s; this kit goes on alone", self.error)
            return
        except ImportError:
            self._set("off", "the exhibition link needs paho-mqtt: pip install 'paho-mqtt>=2.0,<3'")
            logger.warning("exhibition: %s", self.error)
            return
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"awareness-kit-{self.name}",
                             protocol=mqtt.MQTTv5)
        if broker.username is not None:
            client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        client.will_set(topics.status(self.name), "offline", qos=1, retain=True)
        client.reconnect_delay_set(*self.backoff_s)
        client.max_queued_messages_set(MAX_QUEUED)
        client.on_connect = self._connected
        client.on_disconnect = self._disconnected
        client.on_message = self._message
        client.on_connect_fail = lambda c, u: self._set("down", f"cannot reach {broker.host}:{broker.port}")
        session = Properties(PacketTypes.CONNECT)
        session.SessionExpiryInterval = SESSION_EXPIRY_S
        self._client = client
        self._set("connecting")
        client.connect_async(broker.host, broker.port, keepalive=self._keepalive, clean_start=False,
                             properties=session)
        client.loop_start()
        logger.info("exhibition: joining %s as %s", self.url.redacted(), self.name)

    # ---- paho's callbacks (its network thread)
    def _connected(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            self._set("down", f"the broker refused this kit: {reason}")
            logger.warning("exhibition: %s", self.error)
            return
        client.subscribe(topics.subscriptions(self.name))
        self.connects += 1
        self._set("up")
        logger.info("exhibition: link up (%s, session %s)", self.url.redacted(),
                    "resumed" if flags.session_present else "new")
        self.publish(topics.status(self.name), b"online", qos=1, retain=True)
        try:
            self._on_connect()
        except Exception:
            logger.exception("exhibition: announcing this kit failed")

    def _disconnected(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if self.state == "closing":
            return
        self._set("down", f"the broker went away ({reason})")
        logger.warning("exhibition link down: %s; this kit goes on alone and rejoins by itself", self.error)

    def _message(self, client: Any, userdata: Any, message: Any) -> None:
        self.received += 1
        try:
            self._on_message(message.topic, message.payload, bool(message.retain))
        except Exception:
            logger.exception("exhibition: a message on %s could not be handled", message.topic)

    # ---- use
    @property
    def up(self) -> bool:
        return self.state == "up"

    def publish(self, topic: str, payload: bytes | str, *, qos: int = 1, retain: bool = False) -> bool:
        """Send now; False while the link is down (QoS 1 messages are queued by paho, up to MAX_QUEUED)."""
        client = self._client
        if client is None or self.state in ("off", "closing"):
            return False
        info = client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != 0 and not (qos and self.state != "up"):
            self.refused += 1
            return False
        self.sent += 1
        return self.state == "up"

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {"state": self.state, "since": round(self.since, 3), "error": self.error,
                    "broker": self.url.redacted() if self.url else None, "connects": self.connects,
                    "sent": self.sent, "received": self.received}

    def close(self, timeout: float = 1.0) -> None:
        """Say "offline" (retained; a clean disconnect does not send the will), disconnect, stop the thread."""
        client, self._client = self._client, None
        if client is None:
            return
        if self.state == "up":
            info = client.publish(topics.status(self.name), b"offline", qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                pass
        self._set("closing")
        client.disconnect()
        client.loop_stop()
        self._set("off")
