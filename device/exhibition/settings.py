"""The [mqtt] section (the exhibition link) and the [sim] section (the simulated scene, and its rooms).

device.config lists these with its other sections (its module would pass ~350 lines with them). The broker's URL
carries a password: BrokerUrl never shows it (repr, redacted()), and a URL the link cannot use is reported by
the link, redacted, rather than echoed by a config error.

    url = BrokerUrl("mqtt://hall:secret@192.168.4.1:1883")
    url.redacted()            # "mqtt://hall:***@192.168.4.1:1883"
    url.parts()               # Broker(host="192.168.4.1", port=1883, username="hall", password="secret", tls=False)
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

NAME = r"[a-z0-9][a-z0-9_-]{0,31}"
NAME_EXPECTED = "a name of lower-case letters, digits, - and _ (at most 32 characters)"


def setting(default: Any, help: str, *, min: float | None = None, max: float | None = None,
            pattern: str | None = None, expected: str | None = None, parse: Any = None, render: Any = None) -> Any:
    """One setting, declared as device.config.setting() declares one (that module imports this one, so this one
    cannot import it; tests/exhibition/test_settings.py checks the two stay alike)."""
    return field(default=default, metadata={"help": help, "min": min, "max": max, "pattern": pattern,
                                            "expected": expected, "parse": parse, "render": render})


class Broker(NamedTuple):
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool


class BrokerUrl(str):
    """The [mqtt] url: a str whose repr hides the password, so a logged config or a test's output shows none."""

    def __repr__(self) -> str:
        return repr(self.redacted())

    def redacted(self) -> str:
        """The URL with its password replaced by ***."""
        try:
            parts = urlsplit(self)
        except ValueError:
            return "(not a URL)"
        if parts.password is None:
            return str(self)
        host = parts.netloc.rpartition("@")[2]
        return f"{parts.scheme}://{parts.username}:***@{host}{parts.path}"

    def parts(self) -> Broker:
        """Host, port, username, password and TLS of the URL; ValueError, without the URL, when it is not one."""
        try:
            parts = urlsplit(self)
            port = parts.port
        except ValueError:
            raise ValueError("not a URL: expected mqtt://KIT:PASSWORD@HOST[:PORT]") from None
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("expected mqtt://KIT:PASSWORD@HOST[:PORT] (or mqtts:// for TLS)")
        tls = parts.scheme == "mqtts"
        return Broker(parts.hostname, port or (8883 if tls else 1883),
                      unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password is not None else None, tls)


def parse_url(value: Any) -> BrokerUrl:
    """Any text (checked by the link, which reports it redacted): a config error would echo the password."""
    if not isinstance(value, str):
        raise ValueError("")
    return BrokerUrl(value.strip())


def parse_names(value: Any) -> tuple[str, ...]:
    """"hall, cafe" or ["hall", "cafe"] -> ("hall", "cafe"): room names, each once."""
    import re

    names = value.split(",") if isinstance(value, str) else value if isinstance(value, list | tuple) else None
    if names is None:
        raise ValueError("")
    names = tuple(n.strip() if isinstance(n, str) else "" for n in names if not isinstance(n, str) or n.strip())
    if not all(re.fullmatch(NAME, n) for n in names) or len(set(names)) != len(names):
        raise ValueError("")
    return names


@dataclass(frozen=True)
class MqttConfig:
    url: BrokerUrl = setting(BrokerUrl(""), "The exhibition's MQTT broker, as mqtt://KIT:PASSWORD@HOST:PORT (mqtts:// "
                             "for TLS); empty: this kit is alone and sends nothing anywhere.",
                             expected="empty, or mqtt://KIT:PASSWORD@HOST[:PORT]", parse=parse_url, render=str)
    kit_name: str = setting("", "This kit's room in the exhibition, unique (empty: the URL's user name, else the "
                            "host name).", pattern=f"({NAME})?", expected=f"empty, or {NAME_EXPECTED}")
    share_signatures: bool = setting(False, "Send the appearance and face signatures of the people seen to the "
                                     "other kits, so that a visitor is followed from room to room.")
    home_assistant: bool = setting(False, "Announce this kit to Home Assistant (MQTT discovery) as a device with "
                                   "sensors.")

    def name(self) -> str:
        """The kit's name in the exhibition: kit_name, else the URL's user name, else the host name."""
        import re

        if self.kit_name:
            return self.kit_name
        try:
            user = self.url.parts().username or ""
        except ValueError:
            user = ""
        for candidate in (user, socket.gethostname()):
            cleaned = re.sub(r"[^a-z0-9_-]", "-", candidate.lower()).strip("-_")[:32]
            if cleaned:
                return cleaned
        return "kit"


@dataclass(frozen=True)
class SimConfig:
    seed: int = setting(1, "Seed of the simulated scene: the same seed plays the same visitors.", min=0,
                        max=2**31 - 1)
    rooms: tuple[str, ...] = setting((), "A simulated exhibition: its rooms in the order visitors walk through "
                                     "them, separated by commas (every kit with the same seed and rooms).",
                                     expected=f"room names separated by commas, each {NAME_EXPECTED}",
                                     parse=parse_names, render=", ".join)
    room: str = setting("", "Which of those rooms this kit's simulated camera shows (empty: [mqtt] kit_name, "
                        "else the first).", pattern=f"({NAME})?", expected=f"empty, or {NAME_EXPECTED}")

    def __post_init__(self) -> None:
        if self.room and self.rooms and self.room not in self.rooms:
            from device.errors import ConfigError
            raise ConfigError(f"[sim] room = {self.room!r}: expected one of [sim] rooms ({', '.join(self.rooms)})")


def room_index(sim: SimConfig, mqtt: MqttConfig) -> int:
    """Which room of the simulated exhibition this kit shows: 0 (the first, or the only one) unless [sim] rooms
    names [sim] room, or the kit's name."""
    room = sim.room or mqtt.name()
    return sim.rooms.index(room) if room in sim.rooms else 0


def scene_rooms(config: Any) -> dict[str, int]:
    """Scene(seed, **scene_rooms(config)): this kit's room of the simulated exhibition, and how many there are."""
    return {"room": room_index(config.sim, config.mqtt), "rooms": max(1, len(config.sim.rooms))}
