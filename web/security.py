"""Who may do what: CSRF tokens on every form, admin sessions kept on the server, and the limits on PIN guesses
(the visitor's cookie: web/visitor.py).

The public can view and erase their own data; everything that changes the device needs the admin PIN.
Flask's session (a signed cookie) holds only a random admin session id; the server keeps id -> expiry, so
logging out ends a session for every copy of the cookie, and a new PIN (`awareness-kit admin reset-pin`, even
in another process) ends them all.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, current_app, request, session

from web.clients import network_of

logger = logging.getLogger(__name__)

# An admin session ends after 15 idle minutes (a phone left logged in on a desk); each admin action extends it, up
# to 2 hours after logging in: a lesson (45 min) or a double one with its break (~100 min) without logging in again,
# yet a session whose cookie was copied cannot be kept alive for ever.
ADMIN_SESSION_S = 15 * 60
ADMIN_MOST_S = 2 * 3600
MAX_SESSIONS = 32                # admins logged in at once; the oldest session gives way to a new one

# PIN guesses. One address: 5 wrong PINs, then a wait of 60 s that doubles with each further wrong PIN, up to an
# hour; its wrong PINs are forgotten a day after its last one. The whole kit, over every address but the
# device's own: 30 wrong PINs, then one a minute (10^6 PINs: about 1.9 years). A PIN is reserved before it is
# hashed, so guesses sent at once are never checked beyond these.
MAX_FAILURES = 5
FIRST_WAIT_S = 60.0
MAX_WAIT_S = 3600.0
FORGET_AFTER_S = 24 * 3600.0
KIT_BURST = 30
KIT_EVERY_S = 60.0
MAX_ADDRESSES = 4096             # addresses remembered at once (each one needs a wrong PIN, which is paced)


def init_app(app: Flask) -> None:
    admin = app.extensions["kit"].admin
    app.extensions["admin_sessions"] = AdminSessions(admin)
    app.extensions["pin_guard"] = PinGuard(admin)
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def _csrf() -> None:
        if request.method == "POST" and request.routing_exception is None:
            check_csrf()


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_hex(16)
    return token


def check_csrf() -> None:
    sent = request.form.get("csrf", "")
    expected = session.get("csrf", "")
    if not expected or not secrets.compare_digest(sent, expected):
        abort(400, "this form has expired or did not come from this kit's page: reload the page and try again")


# ---- admin sessions

def _sessions() -> AdminSessions:
    return current_app.extensions["admin_sessions"]


def admin_until(*, extend: bool = False) -> float | None:
    """When this browser's admin session ends (time.time()), or None: not logged in; *extend*: an admin action,
    which extends it (by ADMIN_SESSION_S from now, up to ADMIN_MOST_S after logging in)."""
    sid = session.get("admin")
    return _sessions().until(sid, extend=extend) if isinstance(sid, str) else None


def admin_latest() -> float | None:
    """The latest this browser's admin session can last however it is used (time.time()), or None."""
    sid = session.get("admin")
    return _sessions().latest(sid) if isinstance(sid, str) else None


def is_admin() -> bool:
    return admin_until() is not None


def require_admin() -> None:
    """403 unless logged in as the admin; an admin action extends the session."""
    if admin_until(extend=True) is None:
        abort(403, "this needs the admin PIN: log in on the admin page first")


def become_admin() -> None:
    sid = session.get("admin")
    if isinstance(sid, str):
        _sessions().close(sid)
    session.permanent = True
    session["admin"] = _sessions().open()
    session["csrf"] = secrets.token_hex(16)      # a new token after logging in


def end_admin() -> None:
    """Log out: the session ends on the server, so a copy of the cookie is worth nothing either."""
    sid = session.pop("admin", None)
    if isinstance(sid, str):
        _sessions().close(sid)


class AdminSessions:
    """Admin sessions on the server: a random id in the cookie, its expiry here; a new PIN ends them all.

        sessions = AdminSessions(kit.admin)
        sid = sessions.open()        # after the right PIN: the id goes in Flask's session
        sessions.until(sid)          # 1764187200.5 (time.time()), or None: logged out, expired, or a new PIN
        sessions.until(sid, extend=True)    # an admin action: idle time starts again (up to most_s after open())
        sessions.close(sid)          # logout
    """

    def __init__(self, admin: Any, *, lifetime_s: float = ADMIN_SESSION_S, most_s: float = ADMIN_MOST_S,
                 clock: Callable[[], float] | None = None) -> None:
        self.admin = admin
        self.lifetime_s, self.most_s = lifetime_s, most_s
        self.clock = clock or _monotonic
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}         # sha256(id) -> clock() deadline; ids themselves are not kept
        self._most: dict[str, float] = {}           # sha256(id) -> clock() the deadline can never pass
        self._generation = admin.generation()

    def _current(self) -> None:
        """End every session if the PIN changed since (one stat() of admin.json). Call with the lock held."""
        generation = self.admin.generation()
        if generation != self._generation:
            if self._expiry:
                logger.warning("admin: the PIN changed: %d admin session(s) ended", len(self._expiry))
            self._expiry.clear()
            self._most.clear()
            self._generation = generation

    def open(self) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._current()
            now = self.clock()
            self._expiry = {key: end for key, end in self._expiry.items() if end > now}
            while len(self._expiry) >= MAX_SESSIONS:
                del self._expiry[min(self._expiry, key=self._expiry.__getitem__)]
            self._most = {key: self._most[key] for key in self._expiry}
            key = _digest(sid)
            self._most[key] = now + self.most_s
            self._expiry[key] = min(now + self.lifetime_s, self._most[key])
        return sid

    def until(self, sid: str, *, extend: bool = False) -> float | None:
        key = _digest(sid)
        with self._lock:
            self._current()
            now = self.clock()
            end = self._expiry.get(key)
            if end is None or end <= now:
                self._expiry.pop(key, None)
                self._most.pop(key, None)
                return None
            if extend:
                end = self._expiry[key] = min(now + self.lifetime_s, self._most.get(key, end))
        return time.time() + end - now

    def latest(self, sid: str) -> float | None:
        """The latest the session can end, however it is used; None when it has ended."""
        if self.until(sid) is None:
            return None
        with self._lock:
            most = self._most.get(_digest(sid))
            return time.time() + most - self.clock() if most is not None else None

    def close(self, sid: str) -> None:
        with self._lock:
            self._expiry.pop(_digest(sid), None)
            self._most.pop(_digest(sid), None)

    def __len__(self) -> int:
        with self._lock:
            self._current()
            now = self.clock()
            return sum(end > now for end in self._expiry.values())


def _monotonic() -> float:
    return time.monotonic()         # looked up at each call, so that a test may move this module's clock


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


# ---- PIN guesses

class TooManyGuesses(Exception):
    """No PIN may be checked now: *wait_s* until the next may be, because of this *address* or the whole *kit*."""

    def __init__(self, wait_s: float, reason: str) -> None:
        super().__init__(f"too many wrong PINs ({reason}): try again in {wait_s:.0f} s")
        self.wait_s = wait_s
        self.reason = reason


@dataclass
class _Address:
    failures: int = 0
    last: float = 0.0           # clock() of the last wrong PIN
    checking: int = 0           # PINs reserved and being hashed now


@dataclass
class Ticket:
    """One PIN check, reserved before it is hashed; settle() it with the result."""

    key: str
    settled: bool = False


class PinGuard:
    """How many PINs may be checked: per address and for the whole kit, reserved under a lock before hashing.

        ticket = guard.reserve("192.168.4.20")       # or raises TooManyGuesses(wait_s, "address" | "kit")
        ok = kit.admin.verify(pin)
        guard.settle(ticket, ok)                     # a wrong PIN counts; a right one gives its place back

    The device's own screen (127.0.0.1, ::1) never comes here: the caller lets it through, so no lockout, for one
    address or for all, ever keeps the staff at the device out. A new PIN forgets every wrong guess (they were
    about the old one).
    """

    def __init__(self, admin: Any, *, clock: Callable[[], float] | None = None) -> None:
        self.admin = admin
        self.clock = clock or _monotonic
        self._lock = threading.Lock()
        self._addresses: dict[str, _Address] = {}
        self._tokens = float(KIT_BURST)
        self._refilled = self.clock()
        self._generation = admin.generation()

    # ---- under the lock
    def _refill(self, now: float) -> None:
        generation = self.admin.generation()
        if generation != self._generation:
            self._generation = generation
            self._addresses.clear()
            self._tokens, self._refilled = float(KIT_BURST), now
            return
        self._tokens = min(float(KIT_BURST), self._tokens + max(0.0, now - self._refilled) / KIT_EVERY_S)
        self._refilled = now

    def _address_wait(self, state: _Address | None, now: float) -> float:
        if state is None or state.failures + state.checking < MAX_FAILURES:
            return 0.0
        if state.failures < MAX_FAILURES:       # the rest of its allowance is being checked now
            return FIRST_WAIT_S
        if state.checking:
            return max(1.0, self._lockout(state.failures))
        return max(0.0, state.last + self._lockout(state.failures) - now)

    @staticmethod
    def _lockout(failures: int) -> float:
        return min(MAX_WAIT_S, FIRST_WAIT_S * 2 ** (failures - MAX_FAILURES))

    def _forget_old(self, now: float) -> None:
        old = [key for key, state in self._addresses.items()
               if not state.checking and now - state.last >= FORGET_AFTER_S]
        for key in old:
            del self._addresses[key]
        while len(self._addresses) >= MAX_ADDRESSES:
            idle = [key for key, state in self._addresses.items() if not state.checking] or list(self._addresses)
            del self._addresses[min(idle, key=lambda key: self._addresses[key].last)]

    def _state(self, key: str, now: float) -> _Address | None:
        state = self._addresses.get(key)
        if state is not None and not state.checking and now - state.last >= FORGET_AFTER_S:
            del self._addresses[key]
            return None
        return state

    # ---- the API
    def wait(self, address: str) -> tuple[float, str]:
        """(seconds until a PIN from *address* may be checked, "address" or "kit"); (0, "") if now."""
        key = network_of(address)
        with self._lock:
            now = self.clock()
            self._refill(now)
            own = self._address_wait(self._state(key, now), now)
            kit = 0.0 if self._tokens >= 1 else (1 - self._tokens) * KIT_EVERY_S
        if own <= 0 and kit <= 0:
            return 0.0, ""
        return (own, "address") if own >= kit else (kit, "kit")

    def left(self, address: str) -> int:
        """How many more PINs *address* may try before it must wait: its own allowance only (the kit-wide one would
        tell an attacker how many others are guessing; when it runs out, the wait's message says so)."""
        key = network_of(address)
        with self._lock:
            now = self.clock()
            self._refill(now)
            state = self._state(key, now)
            return max(0, MAX_FAILURES - (state.failures + state.checking if state else 0))

    def reserve(self, address: str) -> Ticket:
        """Take the right to check one PIN from *address*, or raise TooManyGuesses; atomic."""
        key = network_of(address)
        with self._lock:
            now = self.clock()
            self._refill(now)
            state = self._state(key, now)
            own = self._address_wait(state, now)
            kit = 0.0 if self._tokens >= 1 else (1 - self._tokens) * KIT_EVERY_S
            if own > 0 or kit > 0:
                raise TooManyGuesses(own, "address") if own >= kit else TooManyGuesses(kit, "kit")
            if state is None:
                self._forget_old(now)
                state = self._addresses[key] = _Address(last=now)
            state.checking += 1
            self._tokens -= 1
        return Ticket(key)

    def settle(self, ticket: Ticket, right: bool | None) -> None:
        """The check's result: False counts as a wrong PIN; True clears this address; None (the check could not be
        made) only gives the reservation back."""
        if ticket.settled:
            return
        ticket.settled = True
        with self._lock:
            state = self._addresses.get(ticket.key)
            if state is not None:
                state.checking = max(0, state.checking - 1)
            if right is False:
                if state is None:
                    state = self._addresses[ticket.key] = _Address()
                state.failures += 1
                state.last = self.clock()
                return
            self._tokens = min(float(KIT_BURST), self._tokens + 1)      # the kit's place comes back
            if right and state is not None:
                del self._addresses[ticket.key]


def retry_after(wait_s: float) -> str:
    """A Retry-After value: whole seconds, never 0 while a wait remains."""
    return str(max(1, math.ceil(wait_s)))

