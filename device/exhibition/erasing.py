"""Forgetting across the exhibition: "forget me" on one kit erases that person on every kit, derived rows
included; an admin's "forget everything" may be sent to every kit.

    kit.forgetting = exhibition.everywhere(Forgetting(...))    # what Kit does when [mqtt] url is set
    erased = kit.forgetting.me("visitor:3f..")     # erased here (counts), and erased.command: the command's id
    exhibition.progress(erased.command)            # {"erased_on": 2, "of": 3, "done": False, ...}

A kit erases, for a command, its own sightings linked (by its own links or the sender's) with the tracks the
command names: their observations, tracks, snapshots and evidence of links, the signatures in memory, and the
visitors who confirmed on this kit that such a track was them. Then it acknowledges, once per delivery.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from device.exhibition import topics
from device.exhibition.commands import valid

logger = logging.getLogger(__name__)

CORRELATIONS_READ = 5000        # recent phone-to-person answers read to find who confirmed an erased track


class Erased(dict):
    """What "forget me" erased on this kit (as Forgetting.me returns it: counts), with the id of the command that
    carries it to every other kit (None when nothing here was linked to a person)."""

    command: str | None = None


class ForgettingEverywhere:
    """kit.forgetting, whose "forget me" reaches every kit; everything else (forget everything from the button
    or the admin page, last, ...) is the kit's own Forgetting: the admin sends that to all from /exhibition."""

    def __init__(self, local: Any, exhibition: Erasing) -> None:
        self.local = local
        self._exhibition = exhibition

    def me(self, visitor: str) -> Erased:
        return self._exhibition.forget_me(visitor)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.local, name)


class Erasing:
    """The forgetting half of the Exhibition service (device.exhibition.service)."""

    _forgetting: Any = None
    matched_at: dict[str, float]

    def everywhere(self, forgetting: Any) -> Any:
        """The kit's Forgetting, carried to every kit when the link is on (as it is otherwise)."""
        self._forgetting = forgetting
        return ForgettingEverywhere(forgetting, self) if self.enabled else forgetting

    def forget_me(self, visitor: str) -> Erased:
        """Erase a visitor here (Forgetting.me), and every sighting of theirs linked to another kit's, there too."""
        tracks = self.visitors.linked(visitor)          # read before the visitor's answers are erased
        mine = {f"{self.name}/{track}" for track in tracks}
        person = self.people.person_of(mine) if mine else set()
        erased = Erased(self._forgetting.me(visitor))
        for key, n in self._erase_here({k.split("/", 1)[1] for k in person - mine if k.startswith(self.name + "/")},
                                       ).items():
            erased[key] = erased.get(key, 0) + n
        self._forget_people(person)
        if self.enabled and tracks:
            forget: dict[str, list[str]] = {}
            for key in person:
                kit, _, track = key.partition("/")
                forget.setdefault(kit, []).append(track)
            erased.command = self._send(forget=forget, erased_here=sum(erased.values()))["id"]
        return erased

    def forget_everything_everywhere(self) -> dict[str, Any]:
        """Forget everything here (as the admin page does), then send the same to every kit (admins only: the
        web layer checks)."""
        result = dict(self._forgetting.everything())
        self._forget_people(None)
        if self.enabled:
            result["command"] = self._send(everything=True, erased_here=int(result.get("total", 0)))["id"]
        return result

    def _send(self, *, forget: dict[str, list[str]] | None = None, everything: bool = False,
              erased_here: int = 0) -> dict[str, Any]:
        command = self.commands.new(to=list(self.kits()), forget=forget, everything=everything,
                                    erased_here=erased_here)
        self.link.publish(topics.forget(self.name, command["id"]), topics.encode(command), qos=1, retain=True)
        logger.info("exhibition: forget command %s sent to %d kit(s)%s", command["id"], len(command["to"]),
                    "" if self.link.up else " (the link is down: it goes when the broker is back)")
        return command

    def progress(self, command_id: str) -> dict[str, Any] | None:
        """How far a command sent from this kit has got (for the visitor's phone and the admin)."""
        progress = self.commands.progress(command_id) if self.commands else None
        if progress is not None:
            progress["link"] = self.link.state
        return progress

    # ---- commands from other kits (the exhibition worker)
    def carry_out(self, issuer: str, command: Any) -> None:
        """Carry out a command once, and acknowledge it each time it comes (an acknowledgement may be lost)."""
        command = valid(command)
        if command is None or command["from"] != issuer:
            return
        done = self.commands.carried_out(command["id"])
        if done is None and self.name not in command.get("to", []) and self.name not in command["forget"]:
            done = {"erased": 0}        # a kit that joined the exhibition later: nothing of then is here
        if done is None:
            erased = self._carry(command)
            self.commands.record_done(command["id"], issuer, erased)
            logger.info("exhibition: %s's forget command %s carried out: %d rows erased", issuer, command["id"],
                        erased)
        else:
            erased = int(done.get("erased", 0))
        self.link.publish(topics.ack(self.name, issuer, command["id"]),
                          topics.encode({"erased": erased, "at": round(time.time(), 3)}), qos=1)

    def _carry(self, command: dict[str, Any]) -> int:
        if command["everything"]:
            if self._forgetting is not None:
                total = int(self._forgetting.everything().get("total", 0))
            else:
                total = sum(self.store.forget_all().values())
                self.watching.forget_all()
            self._forget_people(None)
            return total
        keys = {f"{kit}/{track}" for kit, tracks in command["forget"].items() for track in tracks}
        person = self.people.person_of(keys)
        here = {k.split("/", 1)[1] for k in person if k.startswith(self.name + "/")}
        counts = self._erase_here(here)
        self._forget_people(person)
        return sum(counts.values())

    def _forget_people(self, keys: set[str] | None) -> None:
        """Drop these sightings (None: all) and every one linked with them from memory."""
        if keys is None:
            self.people.forget_all()
            self.matched_at.clear()
            return
        self.people.forget(keys)
        for key in keys:
            self.matched_at.pop(key, None)

    def _erase_here(self, tracks: set[str]) -> dict[str, int]:
        """Erase these tracks of this kit, and the visitors who confirmed here that one of them was them."""
        if not tracks:
            return {}
        self.store.flush(2)
        confirmed = {obs.subject for obs in self.store.query(kind="correlation", limit=CORRELATIONS_READ,
                                                             newest_first=True)
                     if obs.subject and isinstance(obs.value, dict) and obs.value.get("track") in tracks
                     and obs.value.get("confirmed") is True}
        counts = self.store.forget_subjects(tracks | confirmed)
        for track in tracks:
            dropped = self.watching.forget(int(track.split(":", 1)[1]))
            if dropped:
                counts["signatures in memory"] = counts.get("signatures in memory", 0) + dropped
        return counts
