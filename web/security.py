"""Who may do what: CSRF tokens on every form, and the admin session (the visitor's cookie: web/visitor.py).

The public can view and erase their own data; everything that changes the device needs the admin PIN.
"""

from __future__ import annotations

import secrets
import threading
import time

from flask import Flask, abort, request, session

ADMIN_SESSION_S = 15 * 60
MAX_FAILURES = 5


def init_app(app: Flask) -> None:
    app.extensions["pin_failures"] = PinFailures()
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


def is_admin() -> bool:
    return session.get("admin_until", 0) > time.time()


def require_admin() -> None:
    if not is_admin():
        abort(403, "this needs the admin PIN: log in on the admin page first")


def become_admin() -> None:
    session.permanent = True
    session["admin_until"] = time.time() + ADMIN_SESSION_S
    session["csrf"] = secrets.token_hex(16)      # a new token after logging in


class PinFailures:
    """Wrong PINs per client address: after MAX_FAILURES, a wait that doubles each time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, tuple[int, float]] = {}

    def wait_s(self, address: str) -> float:
        with self._lock:
            _, until = self._state.get(address, (0, 0.0))
            return max(0.0, until - time.time())

    def failed(self, address: str) -> None:
        with self._lock:
            count, _ = self._state.get(address, (0, 0.0))
            count += 1
            until = time.time() + 60 * 2 ** (count - MAX_FAILURES) if count >= MAX_FAILURES else 0.0
            self._state[address] = (count, until)

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._state.pop(address, None)
