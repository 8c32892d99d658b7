"""English and Serbian (Latin script): message catalogs in web/translations/<lang>.po, read at start-up.

The language comes from ?lang= (remembered in a cookie), else the cookie, else the browser's
Accept-Language; English is the fallback. Templates use _("..."); the pages' scripts get the messages
they use (t("...") in web/static/*.js) as JSON in the page.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request, url_for

from device.observations import KINDS

LANGUAGES = [("en", "English"), ("sr", "Srpski")]
COOKIE = "ak_lang"
HERE = Path(__file__).parent


def load_catalog(path: Path) -> dict[str, str]:
    """msgid -> msgstr of a .po file (untranslated and fuzzy entries left out)."""
    from babel.messages.pofile import read_po

    with open(path, "rb") as fh:
        catalog = read_po(fh)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy and isinstance(m.id, str)}


def script_messages() -> set[str]:
    """Every t("...") in the pages' scripts."""
    found: set[str] = set()
    for path in (HERE / "static").glob("*.js"):
        found |= {json.loads(f'"{raw}"') for raw in re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', path.read_text())}
    return found


def init_app(app: Flask) -> None:
    catalogs = {code: load_catalog(HERE / "translations" / f"{code}.po") for code, _ in LANGUAGES if code != "en"}
    in_scripts = script_messages()
    app.extensions["catalogs"] = catalogs

    def gettext(message: str) -> str:
        catalog = catalogs.get(getattr(g, "lang", "en"))
        return catalog.get(message, message) if catalog else message

    def ngettext(singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural)

    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    app.jinja_env.filters["translate"] = gettext
    app.jinja_env.filters["ts"] = timestamp

    @app.before_request
    def _language() -> None:
        codes = [code for code, _ in LANGUAGES]
        asked = request.args.get("lang")
        g.set_lang = asked if asked in codes else None
        remembered = request.cookies.get(COOKIE)
        g.lang = g.set_lang or (remembered if remembered in codes else None) or \
            request.accept_languages.best_match(codes, default="en")

    @app.after_request
    def _remember(response: Response) -> Response:
        if getattr(g, "set_lang", None):
            response.set_cookie(COOKIE, g.set_lang, max_age=365 * 86400, samesite="Lax")
        response.headers["Content-Language"] = getattr(g, "lang", "en")
        return response

    @app.context_processor
    def _globals() -> dict[str, Any]:
        lang = getattr(g, "lang", "en")
        kinds = {name: {**kind.to_dict(), "title": gettext(kind.title), "unit": gettext(kind.unit),
                        "reveals": gettext(kind.reveals), "real_world": gettext(kind.real_world)}
                 for name, kind in KINDS.items()}
        return {"lang": lang, "languages": LANGUAGES, "language_url": language_url,
                "js_messages": {m: gettext(m) for m in in_scripts if gettext(m) != m},
                "kinds_json": json.dumps(kinds).replace("</", "<\\/")}


def language_url(code: str) -> str:
    args = {**(request.view_args or {}), **request.args.to_dict(), "lang": code}
    return url_for(request.endpoint or "pages.live", **args)


def timestamp(value: float | None) -> str:
    """A time for a page (the kit's local time), "–" for none."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value)) if value is not None else "–"
