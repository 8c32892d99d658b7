"""The exhibition's topic tree and its payloads (the README's "Several kits" section lists them).

Each kit publishes only under awareness-kit/<its name>/ (the broker's ACL allows nothing else) and reads every
kit's topics:

    awareness-kit/<kit>/status               "online" | "offline" (the will)     retained, QoS 1
    awareness-kit/<kit>/summary              people in view, counts, sound, presence (JSON)  retained, QoS 0
    awareness-kit/<kit>/sighting             a person seen: track, times, signature if shared   QoS 1, never retained
    awareness-kit/<kit>/forget/<id>          a forget command to every kit     retained until all acknowledged, QoS 1
    awareness-kit/<kit>/ack/<issuer>/<id>    what <kit> erased for <issuer>'s command <id>      QoS 1
    homeassistant/<component>/<kit>/<object>/config    Home Assistant discovery (when switched on), retained
"""

from __future__ import annotations

import json
import re
from typing import Any

PREFIX = "awareness-kit"
DISCOVERY_PREFIX = "homeassistant"
MAX_PAYLOAD = 64 * 1024          # a sighting with every signature is about 3 KB; anything larger is refused
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
COMMAND_ID = re.compile(r"[0-9a-f]{16}")
TRACK = re.compile(r"track:[0-9]{1,9}")


def status(kit: str) -> str:
    return f"{PREFIX}/{kit}/status"


def summary(kit: str) -> str:
    return f"{PREFIX}/{kit}/summary"


def sighting(kit: str) -> str:
    return f"{PREFIX}/{kit}/sighting"


def forget(kit: str, command: str) -> str:
    return f"{PREFIX}/{kit}/forget/{command}"


def ack(kit: str, issuer: str, command: str) -> str:
    return f"{PREFIX}/{kit}/ack/{issuer}/{command}"


def subscriptions(me: str) -> list[tuple[str, int]]:
    """What a kit subscribes to (QoS 1: kept for it in its persistent session while it is away)."""
    return [(f"{PREFIX}/+/status", 1), (f"{PREFIX}/+/summary", 0), (f"{PREFIX}/+/sighting", 1),
            (f"{PREFIX}/+/forget/+", 1), (f"{PREFIX}/+/ack/{me}/+", 1)]


def parse(topic: str) -> tuple[str, str, list[str]] | None:
    """awareness-kit/<kit>/<what>/<rest...> -> (kit, what, rest), or None for a topic not of the tree."""
    parts = topic.split("/")
    if len(parts) < 3 or parts[0] != PREFIX or not NAME.fullmatch(parts[1]):
        return None
    return parts[1], parts[2], parts[3:]


def encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def decode(payload: bytes) -> Any:
    """A JSON payload, or None when it is empty, too large or not JSON (another kit's message is not trusted)."""
    if not payload or len(payload) > MAX_PAYLOAD:
        return None
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        return None


def number(value: Any) -> float | None:
    """A finite number from a payload, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or abs(value) > 1e12:
        return None
    return float(value)
