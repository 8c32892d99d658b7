"""Visitors: the phones that open the dashboard, what their browsers reveal, and the guess (as surveillance
systems make it) at which person the camera follows is holding each one.

    visitors = Visitors(store, publish=hub.publish, in_view=watching.in_view)
    visitors.record("visitor:3f..", time.time(), {"user_agent": ".."})   # -> visit number
    guess, answered = visitors.guess_for("visitor:3f..", time.time())
    visitors.answer("visitor:3f..", "track:7", confirmed=False)
    visitors.linked("visitor:3f..")     # {"track:7"}: the tracks "forget me" erases with the visitor
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from device.observations import Observation
from device.store import Store

GUESS_EVERY_S = 300         # a phone is guessed again after five minutes
LOOKBACK = 1000             # answers read back when forgetting a visitor


class Visitors:
    def __init__(self, store: Store, *, publish: Callable[[Observation], None],
                 in_view: Callable[[], list[Any]]) -> None:
        self.store = store
        self._publish = publish
        self._in_view = in_view

    def record(self, subject: str, ts: float, details: dict[str, Any]) -> int:
        """Add a visit (what the phone revealed replaces what it revealed before); returns the visit count."""
        return self.store.record_visit(subject, ts, details)

    def row(self, subject: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """(this phone's row of the visitors table or None, what its browser revealed)."""
        row = self.store.visitor(subject)
        return row, json.loads(row["details"]) if row else {}

    def guess_for(self, subject: str, now: float) -> tuple[dict[str, Any] | None, dict[str, bool]]:
        """(the latest guess for this phone, made anew if none is recent; the visitor's answers by track)."""
        earlier = self.store.query(subject=subject, kind="correlation", limit=20, newest_first=True)
        guess = next((o.value for o in earlier if "reasons" in o.value), None)
        if not earlier or now - earlier[0].ts > GUESS_EVERY_S:
            guess = self.guess(subject, now) or guess
        answered = {o.value["track"]: o.value["confirmed"] for o in reversed(earlier)
                    if "reasons" not in o.value and "confirmed" in o.value and "track" in o.value}
        return guess, answered

    def guess(self, subject: str, ts: float) -> dict[str, Any] | None:
        """Which person in view holds this phone, from who was there when it connected. Publishes the guess
        as a correlation and returns it; None when nobody is in view."""
        people = self._in_view()
        if not people:
            return None

        def score(person: Any) -> tuple[float, list[dict[str, Any]]]:
            reasons, points = [], 0.2
            before = ts - person.first_seen
            if before <= 60:
                points += 0.3 * (1 - before / 60)
                reasons.append({"why": "appeared", "s": round(before)})
            if person.looking:
                points += 0.25
                reasons.append({"why": "looking"})
            if len(people) == 1:
                points += 0.25
                reasons.append({"why": "alone"})
            else:
                reasons.append({"why": "others", "n": len(people)})
            return min(points, 0.95), reasons

        best = max(people, key=lambda p: score(p)[0])
        confidence, reasons = score(best)
        guess = {"track": f"track:{best.id}", "id": best.id, "confidence": round(confidence, 2),
                 "reasons": reasons, "confirmed": None}
        self._publish(Observation(ts, "phone", "correlation", subject, guess, guess["confidence"]))
        return guess

    def answer(self, subject: str, track: str, confirmed: bool) -> None:
        """The visitor says whether the guess was right; the answer is stored like everything else."""
        self._publish(Observation(time.time(), "phone", "correlation", subject,
                                  {"track": track, "confirmed": confirmed}, 1.0))

    def linked(self, subject: str) -> set[str]:
        """The tracks linked to this visitor that they did not say were someone else."""
        answers: dict[str, bool | None] = {}
        for obs in self.store.query(subject=subject, kind="correlation", limit=LOOKBACK):   # oldest first
            if re.fullmatch(r"track:[0-9]{1,9}", str(obs.value.get("track"))):
                answers[obs.value["track"]] = obs.value.get("confirmed")
        return {track for track, confirmed in answers.items() if confirmed is not False}
