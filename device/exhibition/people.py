"""Exhibition-wide people: the sightings of every kit, matched by signature into one person per visitor.

A sighting is one kit's track of one person (kit, track, first and last seen, and when it has ended and the
kit shares them, its signature: clothes, a coarse face pattern, and a face embedding when a recogniser runs).
Two sightings of different kits that do not overlap in time and whose signatures are alike enough are linked;
the linked sightings make one person, whose route is their sightings in time order.

    people = People("hall", threshold=0.75)
    people.seen(Sighting("cafe", "track:5", 10.0, 24.0, signature=sig))   # -> links made with it
    people.people()        # [{"id": "hall-3", "seen": [{"kit": "hall", "ts": ..}, ..], "confidence": 0.87}, ..]
    people.person_of({"hall/track:3"})     # every sighting linked with it, on any kit
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from device.exhibition.topics import number

OVERLAP_S = 1.0             # two rooms cannot see one person at once (a second of clock difference allowed)
WINDOW_S = 3 * 3600         # sightings further apart than this are not compared
MOST_SIGHTINGS = 2000       # held in memory, the oldest dropped first


@dataclass
class Sighting:
    kit: str
    track: str                  # "track:7": the subject on that kit
    first_seen: float
    last_seen: float
    signature: Any = None       # device.vision.signature.Signature, when known
    ended: bool = False

    @property
    def key(self) -> str:
        return f"{self.kit}/{self.track}"

    def to_seen(self) -> dict[str, Any]:
        return {"kit": self.kit, "ts": round(self.first_seen, 3), "until": round(self.last_seen, 3),
                "track": self.track}


@dataclass(frozen=True)
class Link:
    a: str                      # sighting keys
    b: str
    confidence: float
    method: str                 # "face" (two face embeddings) or "appearance"
    ts: float = field(default=0.0, compare=False)


def signature_of(value: Any) -> Any:
    """A Signature from a sighting's JSON ({"clothes": [48], "face": [64], "embedding": [128]}), or None."""
    if not isinstance(value, dict):
        return None
    from device.vision.signature import Signature

    def vector(key: str, size: int) -> np.ndarray | None:
        raw = value.get(key)
        if not isinstance(raw, list) or len(raw) != size or not all(number(v) is not None for v in raw):
            return None
        return np.asarray(raw, np.float32)

    clothes = vector("clothes", 48)
    signature = Signature(clothes=clothes.reshape(12, 4) if clothes is not None else None,
                          face=vector("face", 64), embedding=vector("embedding", 128))
    return signature if signature.clothes is not None or signature.embedding is not None else None


def signature_json(signature: Any) -> dict[str, Any] | None:
    """The JSON of a Signature, as the vision pipeline stores it."""
    if signature is None:
        return None

    def listed(array: Any, digits: int) -> list[float] | None:
        return [round(float(v), digits) for v in np.asarray(array).ravel()] if array is not None else None

    return {"clothes": listed(signature.clothes, 4), "face": listed(signature.face, 3),
            "embedding": listed(signature.embedding, 4)}


class People:
    """Sightings and links, behind one lock (the link's thread adds, the pages read, forgetting removes)."""

    def __init__(self, me: str, *, threshold: float = 0.75) -> None:
        self.me = me
        self.threshold = threshold
        self._sightings: dict[str, Sighting] = {}
        self._links: dict[frozenset[str], Link] = {}
        self._lock = threading.Lock()
        self.compared = 0

    def seen(self, sighting: Sighting) -> list[Link]:
        """Add or update a sighting; once it has a signature, link it with the most alike sighting of each other
        kit (above the threshold, not at the same time). Returns the new links."""
        with self._lock:
            old = self._sightings.get(sighting.key)
            if old is not None:
                sighting.first_seen = min(old.first_seen, sighting.first_seen)
                sighting.signature = sighting.signature if sighting.signature is not None else old.signature
            self._sightings[sighting.key] = sighting
            self._trim()
            if sighting.signature is None:
                return []
            return self._match(sighting)

    def _match(self, s: Sighting) -> list[Link]:
        best: dict[str, tuple[float, Sighting]] = {}
        for other in self._sightings.values():
            if other.kit == s.kit or other.signature is None or abs(other.first_seen - s.first_seen) > WINDOW_S:
                continue
            if other.first_seen < s.last_seen - OVERLAP_S and s.first_seen < other.last_seen - OVERLAP_S:
                continue            # in two rooms at once: not the same person
            self.compared += 1
            score = float(s.signature.similarity(other.signature))
            if score >= self.threshold and score > best.get(other.kit, (0.0, None))[0]:
                best[other.kit] = (score, other)
        made = []
        for score, other in best.values():
            pair = frozenset((s.key, other.key))
            if pair in self._links:
                continue
            face = s.signature.embedding is not None and other.signature.embedding is not None
            link = Link(s.key, other.key, round(score, 3), "face" if face else "appearance", max(s.last_seen,
                                                                                                 other.last_seen))
            self._links[pair] = link
            made.append(link)
        return made

    def linked(self, a: Sighting, b: Sighting, confidence: float, method: str) -> None:
        """A link known already (the kit's stored evidence, read back at start)."""
        with self._lock:
            for s in (a, b):
                self._sightings.setdefault(s.key, s)
            self._links[frozenset((a.key, b.key))] = Link(a.key, b.key, confidence, method, max(a.last_seen,
                                                                                                b.last_seen))

    def _trim(self) -> None:
        if len(self._sightings) <= MOST_SIGHTINGS:
            return
        oldest = sorted(self._sightings.values(), key=lambda s: s.last_seen)[:len(self._sightings) - MOST_SIGHTINGS]
        self._drop({s.key for s in oldest})

    def _drop(self, keys: set[str]) -> int:
        for key in keys:
            self._sightings.pop(key, None)
        for pair in [p for p in self._links if p & keys]:
            del self._links[pair]
        return len(keys)

    # ---- people
    def _component(self, keys: set[str], adjacent: dict[str, set[str]] | None = None) -> set[str]:
        if adjacent is None:
            adjacent = self._adjacent()
        found, todo = set(), list(keys)
        while todo:
            key = todo.pop()
            if key not in found:
                found.add(key)
                todo.extend(adjacent.get(key, ()))
        return found

    def _adjacent(self) -> dict[str, set[str]]:
        adjacent: dict[str, set[str]] = {}
        for pair in self._links:
            a, b = tuple(pair)
            adjacent.setdefault(a, set()).add(b)
            adjacent.setdefault(b, set()).add(a)
        return adjacent

    def person_of(self, keys: set[str]) -> set[str]:
        """Every sighting linked, directly or not, with any of *keys* (the keys themselves included)."""
        with self._lock:
            return self._component(set(keys))

    def people(self, *, linked_only: bool = False) -> list[dict[str, Any]]:
        """Each person: an id (their first sighting's kit and number), their sightings in time order, and how
        sure the weakest link between them is; newest first."""
        with self._lock:
            left, groups, adjacent = set(self._sightings), [], self._adjacent()
            while left:
                group = self._component({left.pop()}, adjacent) & set(self._sightings)
                left -= group
                groups.append((group, []))
            where = {key: links for group, links in groups for key in group}
            for link in self._links.values():
                if link.a in where:
                    where[link.a].append(link)
            result = []
            for group, links in groups:
                if linked_only and not links:
                    continue
                seen = sorted((self._sightings[k] for k in group), key=lambda s: s.first_seen)
                first = seen[0]
                result.append({"id": f"{first.kit}-{first.track.split(':', 1)[1]}",
                               "seen": [s.to_seen() for s in seen],
                               "confidence": min(link.confidence for link in links) if links else None,
                               "method": "face" if links and all(k.method == "face" for k in links)
                               else "appearance" if links else None})
            return sorted(result, key=lambda p: -p["seen"][-1]["until"])

    def sightings(self) -> list[Sighting]:
        with self._lock:
            return list(self._sightings.values())

    def forget(self, keys: set[str]) -> int:
        """Drop these sightings and every one linked with them; returns how many were dropped."""
        with self._lock:
            return self._drop(self._component(set(keys)) & set(self._sightings))

    def forget_all(self) -> int:
        with self._lock:
            count = len(self._sightings)
            self._sightings.clear()
            self._links.clear()
            return count
