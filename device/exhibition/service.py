"""The exhibition service: a sink of the kit's observations and a source of commands, over the MQTT link.

    exhibition = Exhibition(config, hub, store, watching=watching, visitors=visitors)
    exhibition.start()                          # after the store: reads back its links, joins the broker
    Worker("exhibition", exhibition.loop)       # people seen here -> sightings; other kits' messages -> here
    exhibition.status()                         # for /api/status and the notice: no secret in it
    exhibition.close()

With [mqtt] url empty nothing is sent, nothing is connected and no file is written: status() says "off".
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from device.config import Config
from device.exhibition import discovery, topics
from device.exhibition.commands import Commands
from device.exhibition.erasing import Erasing
from device.exhibition.link import Link
from device.exhibition.people import People, Sighting, signature_json, signature_of
from device.exhibition.view import view_of
from device.hub import ObservationHub
from device.observations import Observation
from device.store import Store

logger = logging.getLogger(__name__)

SUMMARY_EVERY_S = 5.0
INBOX = 5000                # messages from the broker waiting for this kit's worker; more are dropped, counted


class Exhibition(Erasing):
    def __init__(self, config: Config, hub: ObservationHub, store: Store, *, watching: Any, visitors: Any,
                 backoff_s: tuple[float, float] = (1.0, 30.0), summary_every_s: float = SUMMARY_EVERY_S) -> None:
        self.config = config.mqtt
        self.enabled = bool(config.mqtt.url)
        self.name = config.mqtt.name()
        self.hub, self.store, self._watching, self.visitors = hub, store, watching, visitors
        self.people = People(self.name, threshold=config.vision.reid_threshold)
        self.commands = Commands(config.data_dir / "exhibition.json", self.name) if self.enabled else None
        self.link = Link(config.mqtt.url, self.name, on_connect=self._announce, on_message=self._received,
                         backoff_s=backoff_s) if self.enabled else None
        self.summary_every_s = summary_every_s
        self._inbox: queue.Queue[tuple[str, bytes, bool]] = queue.Queue(INBOX)
        self._kits: dict[str, dict[str, Any]] = {}
        self._kits_lock = threading.Lock()
        self._subscription = hub.subscribe(maxsize=1024) if self.enabled else None
        self.dropped = 0
        self.matched_at: dict[str, float] = {}      # sighting key -> when it was first linked (for the bench)

    @property
    def watching(self) -> Any:
        """The vision service (in_view, forget): given, or given as a function that returns it."""
        return self._watching() if callable(self._watching) else self._watching

    # ---- lifecycle
    def start(self) -> None:
        """Read back the links this kit made (its stored evidence), then join the broker in the background."""
        if not self.enabled:
            return
        for obs in self.store.query(kind="reid", limit=2000, newest_first=True):
            value = obs.value if isinstance(obs.value, dict) else {}
            other = value.get("with")
            if value.get("exhibition") and isinstance(other, dict) and obs.subject:
                here = Sighting(self.name, obs.subject, *value.get("here", (obs.ts, obs.ts)), ended=True)
                there = Sighting(str(other.get("kit")), str(other.get("track")), float(other.get("first_seen", 0)),
                                 float(other.get("last_seen", 0)), ended=True)
                self.people.linked(here, there, float(obs.confidence or 0), str(value.get("method", "")))
        self.link.start()

    def loop(self, stop: threading.Event) -> None:
        """The worker: this kit's people out, the other kits' messages in, a summary every few seconds."""
        next_summary = 0.0
        while not stop.is_set():
            for obs in self._subscription.get_batch(timeout=0.1):
                if obs.kind == "person" and obs.subject:
                    self._person(obs)
            while True:
                try:
                    self._handle(*self._inbox.get_nowait())
                except queue.Empty:
                    break
            if time.monotonic() >= next_summary:
                next_summary = time.monotonic() + self.summary_every_s
                self._publish_summary()

    def close(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
        if self.link is not None:
            self.link.close()

    # ---- out: what this kit sees
    def _person(self, obs: Observation) -> None:
        value = obs.value if isinstance(obs.value, dict) else {}
        state = value.get("state")
        dwell = topics.number(value.get("dwell_s")) or 0.0
        ended = state == "left"
        signature = signature_of(value.get("signature")) if ended else None
        sighting = Sighting(self.name, obs.subject, obs.ts - dwell, obs.ts, signature=signature, ended=ended)
        links = self.people.seen(sighting)
        if state in ("new", "left"):
            payload = {"track": obs.subject, "first_seen": round(sighting.first_seen, 3),
                       "last_seen": round(obs.ts, 3), "ended": ended}
            if ended and self.config.share_signatures and signature is not None:
                payload["signature"] = signature_json(signature)
            self.link.publish(topics.sighting(self.name), topics.encode(payload), qos=1)
        self._evidence(links)

    def _evidence(self, links: list[Any]) -> None:
        """Store each link with a person of this kit as a reid observation of theirs: the evidence, which their
        "forget me" erases with the rest."""
        if not links:
            return
        known = {s.key: s for s in self.people.sightings()}
        for link in links:
            self.matched_at.setdefault(link.a, time.time())
            self.matched_at.setdefault(link.b, time.time())
            for mine, theirs in ((link.a, link.b), (link.b, link.a)):
                here, there = known.get(mine), known.get(theirs)
                if here is None or there is None or here.kit != self.name:
                    continue
                self.hub.publish(Observation(time.time(), "exhibition", "reid", here.track, {
                    "id": int(here.track.split(":", 1)[1]), "exhibition": True, "kit": self.name,
                    "here": [round(here.first_seen, 3), round(here.last_seen, 3)],
                    "with": {"kit": there.kit, "track": there.track, "first_seen": round(there.first_seen, 3),
                             "last_seen": round(there.last_seen, 3)},
                    "confidence": link.confidence, "method": link.method}, link.confidence))

    def _publish_summary(self) -> None:
        latest = self.hub.latest
        sound = latest.get("sound_level")
        presence = latest.get("presence")
        in_view = self.watching.in_view()
        summary = {"ts": round(time.time(), 3), "people_now": len(in_view),
                   "people": [f"track:{p.id}" for p in in_view],
                   "tracked": len({s.track for s in self.people.sightings() if s.kit == self.name}),
                   "sound_dbfs": sound.value.get("dbfs") if sound else None,
                   "speaking": bool(sound.value.get("speaking")) if sound else False,
                   "presence": bool(presence.value.get("present")) if presence else False,
                   "share_signatures": self.config.share_signatures}
        self.link.publish(topics.summary(self.name), topics.encode(summary), qos=0, retain=True)

    def _announce(self) -> None:
        """On every (re)connection (paho's thread): the summary, Home Assistant's configs, and every forget
        command not yet acknowledged by all, again (retained: a kit that was away gets them when it is back)."""
        if self.config.home_assistant:
            for topic, payload in discovery.configs(self.name):
                self.link.publish(topic, payload, qos=1, retain=True)
        for command in self.commands.pending():
            self.link.publish(topics.forget(self.name, command["id"]), topics.encode(command), qos=1, retain=True)

    # ---- in: the other kits
    def _received(self, topic: str, payload: bytes, retained: bool) -> None:
        """paho's thread: hand the message to the worker, never blocking the network loop."""
        try:
            self._inbox.put_nowait((topic, payload, retained))
        except queue.Full:
            self.dropped += 1

    def _handle(self, topic: str, payload: bytes, retained: bool) -> None:
        parsed = topics.parse(topic)
        if parsed is None:
            return
        kit, what, rest = parsed
        if what == "status":
            self._kit(kit, online=payload == b"online")
        elif what == "summary" and kit != self.name:
            value = topics.decode(payload)
            if isinstance(value, dict):
                self._kit(kit, summary={k: value.get(k) for k in ("ts", "people_now", "people", "share_signatures")})
        elif what == "sighting" and kit != self.name:
            self._sighting(kit, topics.decode(payload))
        elif what == "forget" and len(rest) == 1 and kit != self.name and payload:
            self.carry_out(kit, topics.decode(payload))
        elif what == "ack" and len(rest) == 2 and rest[0] == self.name:
            value = topics.decode(payload)
            erased = topics.number(value.get("erased")) if isinstance(value, dict) else None
            if self.commands.acked(kit, rest[1], int(erased or 0)):
                self.link.publish(topics.forget(self.name, rest[1]), b"", qos=1, retain=True)   # clears it
                logger.info("exhibition: forget command %s acknowledged by every kit", rest[1])

    def _kit(self, kit: str, **values: Any) -> None:
        with self._kits_lock:
            new = kit not in self._kits
            self._kits.setdefault(kit, {"online": False, "summary": None}).update(values)
        if new:
            self.commands.remember(kit)

    def _sighting(self, kit: str, value: Any) -> None:
        if not isinstance(value, dict) or not isinstance(value.get("track"), str) \
                or not topics.TRACK.fullmatch(value["track"]):
            return
        first, last = topics.number(value.get("first_seen")), topics.number(value.get("last_seen"))
        if first is None or last is None:
            return
        sighting = Sighting(kit, value["track"], first, last, signature=signature_of(value.get("signature")),
                            ended=bool(value.get("ended")))
        self._evidence(self.people.seen(sighting))

    # ---- reading
    def kits(self) -> dict[str, dict[str, Any]]:
        with self._kits_lock:
            return {name: dict(entry) for name, entry in self._kits.items()}

    def view(self) -> dict[str, Any]:
        """/exhibition and /api/exhibition: kits (name, online, people now), people (id, seen, confidence)."""
        return view_of(self)

    def status(self) -> dict[str, Any]:
        """What /api/status and the notice say of the link: whether it is on, up, and what leaves the kit. No
        secret: neither the URL's password nor its user."""
        link = self.link.status() if self.link else {"state": "off", "since": None, "error": None}
        kits = self.kits()
        return {"enabled": self.enabled, "url": self.enabled, "kit": self.name, "state": link["state"],
                "message": "exhibition link down" if link["state"] in ("down", "connecting") else None,
                "since": link["since"], "error": link["error"], "share_signatures": self.config.share_signatures,
                "home_assistant": self.config.home_assistant,
                "kits_known": len(kits), "kits_online": sum(e["online"] for e in kits.values()),
                "connects": link.get("connects", 0), "sent": link.get("sent", 0),
                "received": link.get("received", 0), "dropped": self.dropped,
                "pending_commands": len(self.commands.pending()) if self.commands else 0}
