"""The visitor: a phone known by a random token only it holds (its cookie), and nothing else.

What is stored and shown about a phone is the subject the kit derives from the token (kit.visitors.subject_of),
so a subject seen on /data or the API is no use as a cookie. A bare GET stores nothing and sets no cookie:
the token is given when the page's script reports the browser's details (POST /you/reveal), at a bounded
rate per client address. After "forget me" the phone holds, instead of its token, a cookie that says only that
it asked to be forgotten (the same for every phone): nothing is recorded about it until its visitor carries on.

    visitor_subject()      # "visitor:3f...": the subject of the phone making this request, or None
    new_visitor()          # a new token for this response's cookie; its subject
    forgotten()            # True: this phone asked to be forgotten and has not carried on since
    g.forgotten = True     # this response ends the phone's token and says it asked to be forgotten
    g.carried_on = True    # this response ends that: the phone may be recorded again
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from flask import Flask, Response, current_app, g, request

VISITOR_COOKIE = "ak_visitor"
FORGOTTEN_COOKIE = "ak_forgotten"      # "1", and nothing else: names nobody
TOKEN_BYTES = 32            # 64 hex: the 32-hex values of earlier versions (shown on /data then) are not tokens
COOKIE_DAYS = 365


def init_app(app: Flask) -> None:
    app.extensions["new_visitors"] = NewVisitors()

    @app.before_request
    def _visitor() -> None:
        value = request.cookies.get(VISITOR_COOKIE, "")
        g.visitor_token = value if _is_token(value) else None

    @app.after_request
    def _remember(response: Response) -> Response:
        cookie = {"httponly": True, "samesite": "Lax", "secure": request.is_secure}
        if getattr(g, "forgotten", False):      # the cookie that linked this phone to its data goes too
            response.delete_cookie(VISITOR_COOKIE, **cookie)
            response.set_cookie(FORGOTTEN_COOKIE, "1", max_age=COOKIE_DAYS * 86400, **cookie)
        elif getattr(g, "new_token", False):
            response.set_cookie(VISITOR_COOKIE, g.visitor_token, max_age=COOKIE_DAYS * 86400, **cookie)
        if getattr(g, "carried_on", False):
            response.delete_cookie(FORGOTTEN_COOKIE, **cookie)
        return response


def _is_token(value: str) -> bool:
    return len(value) == 2 * TOKEN_BYTES and all(c in "0123456789abcdef" for c in value)


def visitor_subject() -> str | None:
    """The subject of the phone making this request, or None if it holds no token."""
    if getattr(g, "visitor_token", None) is None:
        return None
    return current_app.extensions["kit"].visitors.subject_of(g.visitor_token)


def forgotten() -> bool:
    """Whether this phone asked to be forgotten (and its visitor has not carried on since)."""
    return request.cookies.get(FORGOTTEN_COOKIE) == "1"


def new_visitor() -> str:
    """Give this phone a new token (set as its cookie with this response); returns its subject."""
    g.visitor_token = secrets.token_hex(TOKEN_BYTES)
    g.new_token = True
    return visitor_subject()  # type: ignore[return-value]


class NewVisitors:
    """How many new visitor rows a client address may make: at most *per_address* a minute, and *total* a
    minute from every address together (addresses are cheap on a LAN). admit() counts a new visitor and
    returns 0, or returns the seconds until one more would be admitted.

        limits = NewVisitors(per_address=10, total=120)
        limits.admit("192.168.4.23")      # 0.0: make the row; 42.0: say 429, Retry-After: 42
    """

    def __init__(self, *, per_address: int = 10, total: int = 120, window_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_address, self.total, self.window_s = per_address, total, window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._by_address: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()

    def admit(self, address: str) -> float:
        with self._lock:
            now = self._clock()
            horizon = now - self.window_s
            while self._all and self._all[0] <= horizon:
                self._all.popleft()
            for stale in [a for a, times in self._by_address.items() if times[-1] <= horizon]:
                del self._by_address[stale]     # at most *total* addresses are kept
            mine = self._by_address.get(address, deque())
            while mine and mine[0] <= horizon:
                mine.popleft()
            full = [times[0] for times, limit in ((mine, self.per_address), (self._all, self.total))
                    if len(times) >= limit]
            if full:
                return max(1.0, max(full) + self.window_s - now)
            mine.append(now)
            self._by_address[address] = mine
            self._all.append(now)
            return 0.0
