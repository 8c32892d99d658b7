"""Forget commands and their acknowledgements, kept in a file so that none is lost to a restart.

A kit that erases someone (or, for an admin, everything) sends a command to every kit it knows; the command
stays in this kit's outbox, and retained on the broker, until every one of them has acknowledged it. A kit
that receives a command carries it out once (the ids it carried out are kept too) and acknowledges it every
time it sees it, so an acknowledgement lost with a connection is sent again.

    commands = Commands(data_dir / "exhibition.json", "hall")
    command = commands.new(to=["hall", "cafe", "garden"], forget={"cafe": ["track:5"]}, erased_here=12)
    commands.acked("cafe", command["id"], 3)       # -> True once every kit has
    commands.progress(command["id"])               # {"erased_on": 2, "of": 3, "done": False, "waiting": [..]}

The file (data_dir/exhibition.json, listed on the data page like every file there) holds kit names, track
numbers and counts: never a visitor's subject, a signature or a picture.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from device.exhibition.topics import COMMAND_ID, NAME, TRACK

logger = logging.getLogger(__name__)

KEEP_SENT = 200         # commands this kit sent, kept (for their progress) once every kit has acknowledged them
KEEP_DONE = 1000        # ids of commands carried out here, so that none is carried out twice
MOST_TRACKS = 500       # tracks one command may name, on one kit


def valid(command: Any) -> dict[str, Any] | None:
    """A command received from another kit, checked (it is not trusted), or None."""
    if not isinstance(command, dict) or not isinstance(command.get("id"), str) \
            or not COMMAND_ID.fullmatch(command["id"]) or not isinstance(command.get("from"), str) \
            or not NAME.fullmatch(command["from"]) or not isinstance(command.get("everything"), bool):
        return None
    forget = command.get("forget", {})
    if not isinstance(forget, dict) or not all(
            isinstance(kit, str) and NAME.fullmatch(kit) and isinstance(tracks, list) and len(tracks) <= MOST_TRACKS
            and all(isinstance(t, str) and TRACK.fullmatch(t) for t in tracks) for kit, tracks in forget.items()):
        return None
    return command


class Commands:
    def __init__(self, path: Path, me: str) -> None:
        self.path = Path(path)
        self.me = me
        self._lock = threading.Lock()
        self._sent: dict[str, dict[str, Any]] = {}
        self._done: dict[str, dict[str, Any]] = {}
        self._kits: list[str] = []          # every kit seen in the exhibition: a command is sent to each
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text())
            self._sent = {k: v for k, v in data.get("sent", {}).items() if valid(v.get("command"))}
            self._done = dict(data.get("done", {}))
            self._kits = [k for k in data.get("kits", []) if isinstance(k, str) and NAME.fullmatch(k)]
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError) as exc:
            logger.warning("exhibition: %s cannot be read (%s): commands not yet acknowledged are lost", self.path,
                           exc)

    def _save(self) -> None:
        """Write the file whole and rename it into place: a crash leaves the old one or the new one."""
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            state = {"kits": self._kits, "sent": self._sent, "done": self._done}
            temporary.write_text(json.dumps(state, separators=(",", ":")))
            os.replace(temporary, self.path)
        except OSError as exc:
            logger.error("exhibition: cannot keep %s (%s): a restart would lose commands not yet acknowledged",
                         self.path, exc)

    # ---- the kits
    def remember(self, kit: str) -> None:
        """A kit seen in the exhibition (its status): kept, so that a command made while the link is down still
        goes to every kit."""
        with self._lock:
            if kit not in self._kits:
                self._kits.append(kit)
                self._save()

    @property
    def kits(self) -> list[str]:
        with self._lock:
            return list(self._kits)

    # ---- sent from here
    def new(self, *, to: list[str], forget: dict[str, list[str]] | None = None, everything: bool = False,
            erased_here: int = 0) -> dict[str, Any]:
        """A new command, kept in the outbox before it is sent; this kit counts as having carried it out."""
        command = {"id": secrets.token_hex(8), "from": self.me, "at": round(time.time(), 3), "everything": everything,
                   "forget": {kit: sorted(tracks)[:MOST_TRACKS] for kit, tracks in (forget or {}).items() if tracks},
                   "to": sorted(set(to) | set(self.kits) | {self.me})}
        with self._lock:
            self._sent[command["id"]] = {"command": command, "acks": {self.me: {"erased": erased_here,
                                                                                "at": command["at"]}}}
            for old in [k for k, v in self._sent.items() if self._complete(v)][:-KEEP_SENT]:
                del self._sent[old]
            self._save()
        return command

    def acked(self, kit: str, command_id: str, erased: int) -> bool:
        """Record *kit*'s acknowledgement; True when this made the command complete (every kit has)."""
        with self._lock:
            entry = self._sent.get(command_id)
            if entry is None or kit in entry["acks"]:
                return False
            entry["acks"][kit] = {"erased": erased, "at": round(time.time(), 3)}
            self._save()
            return self._complete(entry)

    @staticmethod
    def _complete(entry: dict[str, Any]) -> bool:
        return set(entry["command"]["to"]) <= set(entry["acks"])

    def pending(self) -> list[dict[str, Any]]:
        """Commands some kit has not acknowledged yet (sent again whenever the link comes up)."""
        with self._lock:
            return [dict(v["command"]) for v in self._sent.values() if not self._complete(v)]

    def progress(self, command_id: str) -> dict[str, Any] | None:
        """How far a command sent from here has got: "erased on 2 of 3 kits", and which kits are waited for."""
        with self._lock:
            entry = self._sent.get(command_id)
            if entry is None:
                return None
            to, acks = entry["command"]["to"], entry["acks"]
            return {"id": command_id, "at": entry["command"]["at"], "everything": entry["command"]["everything"],
                    "kits": to, "erased_on": sum(kit in acks for kit in to), "of": len(to),
                    "done": self._complete(entry), "waiting": [kit for kit in to if kit not in acks],
                    "acks": {kit: dict(ack) for kit, ack in acks.items()}}

    # ---- received from other kits
    def carried_out(self, command_id: str) -> dict[str, Any] | None:
        """What this kit did for a command it carried out before, or None."""
        with self._lock:
            return self._done.get(command_id)

    def record_done(self, command_id: str, issuer: str, erased: int) -> None:
        with self._lock:
            self._done[command_id] = {"from": issuer, "erased": erased, "at": round(time.time(), 3)}
            while len(self._done) > KEEP_DONE:
                del self._done[next(iter(self._done))]
            self._save()
