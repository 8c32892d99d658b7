"""The visitor: a phone known by the cookie the kit gives it on its first visit, and nothing else.

    visitor_subject()      # "visitor:3f...": what is stored about the phone making this request
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

VISITOR_COOKIE = "ak_visitor"


def init_app(app: Flask) -> None:
    @app.before_request
    def _visitor() -> None:
        value = request.cookies.get(VISITOR_COOKIE, "")
        g.new_visitor = not (len(value) == 32 and all(c in "0123456789abcdef" for c in value))
        g.visitor = secrets.token_hex(16) if g.new_visitor else value

    @app.after_request
    def _remember(response: Response) -> Response:
        if getattr(g, "new_visitor", False) and not getattr(g, "forgotten", False):
            response.set_cookie(VISITOR_COOKIE, g.visitor, max_age=365 * 86400, httponly=True, samesite="Lax")
        if getattr(g, "forgotten", False):
            response.delete_cookie(VISITOR_COOKIE)
        return response


def visitor_subject() -> str:
    return f"visitor:{g.visitor}"
