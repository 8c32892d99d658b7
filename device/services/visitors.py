"""Visitors: the phones that open the dashboard, what their browsers reveal, and the guess (as surveillance
systems make it) at which person the camera follows is holding each one.

A phone holds a random token (its cookie) that only it knows; what is stored and shown about it is a subject
derived from the token with a key of the kit's own, so a subject seen on a page is no use as a cookie.

    visitors = Visitors(store, publish=hub.publish, in_view=watching.in_view)
    subject = visitors.subject_of(token)                            # "visitor:3f..": 32 hex, never the token
    visitors.record(subject, time.time(), {"user_agent": ".."})     # -> visit number
    guess, answered = visitors.guess_for(subject, time.time())      # a guess only for a phone with a row
    visitors.answer(subject, "track:7", confirmed=True)             # only a track the kit offered: NotOffered
    visitors.linked(subject)     # {"track:7"}: the tracks the visitor confirmed, which "forget me" erases
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from device.errors import KitError
from device.observations import Observation
from device.store import Store

logger = logging.getLogger(__name__)

GUESS_EVERY_S = 300         # a phone is guessed again after five minutes
LOOKBACK = 1000             # a visitor's correlations read back: their guesses and answers
KEY_FILE = "visitor.key"    # under the data directory, mode 0600: the key that turns tokens into subjects
TRACK = re.compile(r"track:[0-9]{1,9}")     # ASCII digits only: int() of "track:²" would fail later


class NotOffered(KitError, PermissionError):
    """A visitor answered about a track the kit never offered them as a guess."""


class Visitors:
    def __init__(self, store: Store, *, publish: Callable[[Observation], None],
                 in_view: Callable[[], list[Any]], key_path: Path | None = None,
                 hold: Callable[[], AbstractContextManager[Any]] = nullcontext) -> None:
        """*key_path*: where the subject key is kept (default: visitor.key in the store's data directory);
        *hold*: held while a guess looks at who is in view and publishes, so that a guess cannot fall between
        "forget everything" erasing the store and numbering people from 1 again (the vision service's paused)."""
        self.store = store
        self._publish = publish
        self._in_view = in_view
        self._hold = hold
        self.key_path = Path(key_path) if key_path else store.data_dir / KEY_FILE
        self._key: bytes | None = None
        self._key_lock = threading.Lock()

    # ---- who a phone is
    def subject_of(self, token: str) -> str:
        """The subject stored for the phone that holds *token*: "visitor:" and 32 hex of an HMAC-SHA256 with
        the kit's key. Knowing a subject tells nothing about the token that makes it."""
        digest = hmac.new(self._secret(), token.encode(), hashlib.sha256).hexdigest()
        return f"visitor:{digest[:32]}"

    def _secret(self) -> bytes:
        with self._key_lock:
            if self._key is None:
                self._key = _load_or_make_key(self.key_path)
            return self._key

    # ---- visits
    def record(self, subject: str, ts: float, details: dict[str, Any]) -> int:
        """Add a visit (what the phone revealed replaces what it revealed before); returns the visit count."""
        return self.store.record_visit(subject, ts, details)

    def row(self, subject: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """(this phone's row of the visitors table or None, what its browser revealed)."""
        row = self.store.visitor(subject)
        return row, json.loads(row["details"]) if row else {}

    # ---- the guess and the visitor's answers
    def _correlations(self, subject: str) -> list[Observation]:
        """This visitor's guesses and answers, oldest first."""
        newest = self.store.query(subject=subject, kind="correlation", limit=LOOKBACK, newest_first=True)
        return [o for o in reversed(newest) if isinstance(o.value, dict)]

    def guess_for(self, subject: str, now: float, *, make: bool = True) -> tuple[dict[str, Any] | None,
                                                                                 dict[str, bool]]:
        """(the latest guess for this phone; the visitor's answers by track). With *make*, a new guess is
        made when none is recent, and only for a phone that has a row in the visitors table."""
        earlier = self._correlations(subject)
        guesses = [o for o in earlier if _is_guess(o.value)]
        guess = guesses[-1].value if guesses else None
        due = not guesses or now - guesses[-1].ts > GUESS_EVERY_S
        if make and due and self.store.visitor(subject) is not None:
            made = self.guess(subject, now)
            if made is not None:
                guess = made
                self.store.flush(2)     # so that the page that follows can show it, and the visitor answer it
        return guess, _answers(earlier)

    def guess(self, subject: str, ts: float) -> dict[str, Any] | None:
        """Which person in view holds this phone, from who was there when it connected. Publishes the guess
        as a correlation and returns it; None when nobody is in view."""
        with self._hold():
            return self._guess(subject, ts)

    def _guess(self, subject: str, ts: float) -> dict[str, Any] | None:
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

    def offered(self, subject: str) -> dict[str, float]:
        """The tracks the kit offered this visitor as a guess, with when (the latest time) it did."""
        self.store.flush(2)         # a guess just made counts
        return _offered(self._correlations(subject))

    def answer(self, subject: str, track: str, confirmed: bool) -> None:
        """The visitor says whether the guess was right; the answer is stored like everything else. Only a
        track the kit offered this visitor may be answered (NotOffered otherwise); the same answer twice is
        stored once."""
        self.store.flush(2)         # a guess, or an answer, just made counts
        earlier = self._correlations(subject)
        offered = _offered(earlier)
        if track not in offered:
            raise NotOffered(f"the kit did not offer {track} to this phone as a guess: a visitor may confirm or "
                             "deny only the person the kit guessed for them")
        if _answers(earlier).get(track) is confirmed:
            return
        self._publish(Observation(time.time(), "phone", "correlation", subject,
                                  {"track": track, "confirmed": confirmed, "guessed_at": offered[track]}, 1.0))
        self.store.flush(2)         # the page that follows shows the answer

    def linked(self, subject: str) -> set[str]:
        """The tracks this visitor confirmed are them (their latest answer is yes) among those the kit
        offered them: "forget me" erases these. A guess they did not answer, or denied, is someone else's."""
        earlier = self._correlations(subject)
        offered = _offered(earlier)
        latest: dict[str, dict[str, Any]] = {}
        for obs in earlier:
            if not _is_guess(obs.value) and TRACK.fullmatch(str(obs.value.get("track"))):
                latest[obs.value["track"]] = obs.value
        return {track for track, value in latest.items()
                if value.get("confirmed") is True and ("guessed_at" in value or track in offered)}


def _is_guess(value: dict[str, Any]) -> bool:
    return "reasons" in value and "track" in value


def _offered(correlations: list[Observation]) -> dict[str, float]:
    """The tracks named by the guesses among *correlations* (oldest first), with the latest guess's time."""
    return {o.value["track"]: o.ts for o in correlations
            if _is_guess(o.value) and TRACK.fullmatch(str(o.value["track"]))}


def _answers(correlations: list[Observation]) -> dict[str, bool]:
    """The visitor's latest answer for each track (from correlations, oldest first)."""
    return {o.value["track"]: o.value["confirmed"] for o in correlations
            if not _is_guess(o.value) and isinstance(o.value.get("confirmed"), bool) and "track" in o.value}


def _load_or_make_key(path: Path) -> bytes:
    """The kit's visitor key: read from *path*, or made once (32 random bytes, hex, mode 0600). A key that
    cannot be kept (a read-only disk) is used for this run only, with a log line saying so."""
    try:
        text = path.read_text().strip()
        if re.fullmatch(r"[0-9a-f]{64}", text):
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
            return bytes.fromhex(text)
        logger.warning("visitors: %s is not a key the kit made; making a new one (phones seen before are new "
                       "visitors now)", path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        logger.warning("visitors: cannot read %s (%s); making a new one", path, exc)
    key = secrets.token_bytes(32)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(key.hex() + "\n")
        if path.exists():               # a key the kit could not use: replaced
            temporary.replace(path)
        else:
            try:
                os.link(temporary, path)    # made once: another process that got there first wins
            except FileExistsError:
                return _load_or_make_key(path)
    except OSError as exc:
        logger.warning("visitors: cannot keep a key in %s (%s): phones are known for this run only", path, exc)
    finally:
        temporary.unlink(missing_ok=True)
    return key
