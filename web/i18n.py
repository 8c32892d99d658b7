"""English and Serbian (Latin script): message catalogs in web/translations/<lang>.po, read at start-up.

The language comes from ?lang= (remembered in a cookie), else the cookie, else the browser's
Accept-Language; English is the fallback. Templates use _("...") and
ngettext("%(num)s visit", "%(num)s visits", n) (the .po's plural forms: Serbian has three); Python code
uses gettext() and ngettext() here, or a Translations of its own (translations("sr")). The pages' scripts get
the messages they use (t("...") and t.n("...", "...") in web/static/*.js, and script_values()) as JSON in the page.
Times and numbers are written as the language writes them: the templates' ts and number filters.

Texts the kit composes in English at run time (an error's reason) are translated by the catalog's entries
with msgctxt "composed": their msgid is the text's pattern, its values as %(name)s (the reason filter).
A device's errors (device.errors.DeviceUnavailable, /api/status's sources.<name>.error_text and error_values) are
entries with msgctxt "device", values as {name}: the status says each in every language (error_says, web/live.py).

    tr = translations("sr")
    tr.ngettext("%(num)s visit", "%(num)s visits", 3) % {"num": 3}    # "3 posete"
    tr.timestamp(1796043647)                                          # "30. nov 2026. 14:20:47"
    tr.number(1234.5)                                                 # "1.234,5"
    tr.translate("no chart 'pie'; the charts are timeline, hours")    # "Nema grafikona 'pie'; grafikoni su: ..."
    tr.device_text("camera {name}: no such video file", {"name": "x"})   # "kamera x: ta video datoteka ne postoji"
"""

from __future__ import annotations

import functools
import gettext as _gettext
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_decimal
from flask import Flask, Response, g, has_request_context, request, url_for
from markupsafe import Markup, escape

from device.errors import fill
from device.observations import KINDS, PITCH_CLAIMS

LANGUAGES = [("en", "English"), ("sr", "Srpski")]
LOCALES = {"en": "en", "sr": "sr_Latn"}           # Babel's (CLDR's): month names, plural categories
DATETIME = {"en": "d MMM y, HH:mm:ss", "sr": "d. MMM y. HH:mm:ss"}     # 30 Nov 2026, 14:05:09 / 30. nov 2026. 14:05:09
COOKIE = "ak_lang"
COMPOSED = "composed"       # the msgctxt of patterns of composed texts
DEVICE = "device"           # the msgctxt of the patterns of a device's errors (DeviceUnavailable, a file's end)
HERE = Path(__file__).parent

Message = str | tuple[str, str]         # a msgid, or a plural entry's (msgid, msgid_plural), as Babel has them

# Texts in the status that the scripts show translated, t(value): the sources (status.sources: their keys, kinds,
# names and states). A source's error is given as a pattern and values (error_text, error_values): the msgctxt
# "device" entries, which the status says in every language (error_says, web/live.py).
SCRIPT_VALUES: tuple[str, ...] = (
    "camera", "microphone", "sensors", "real", "simulated", "file",
    "starting", "running", "degraded", "offline", "ended",
)
# Texts the kit puts inside observations (the loud sounds' labels; value_texts() adds the voice pitch's claims):
# translated on the server, where web/sentences.py says each observation in every language.
VALUE_TEXTS: tuple[str, ...] = ("clap", "knock", "door slam", "loud sound")


def script_values() -> set[str]:
    """SCRIPT_VALUES: the status's texts that the pages' scripts translate."""
    return set(SCRIPT_VALUES)


def value_texts() -> set[str]:
    """VALUE_TEXTS, and what voice-analysis products claim from a pitch (device.observations.PITCH_CLAIMS): the
    catalog must have them (web/sentences.py translates them), the scripts need not."""
    return set(VALUE_TEXTS) | {claim for _, claim in PITCH_CLAIMS}


class Catalog(Mapping):
    """A .po file read: msgid -> msgstr, and (msgid, msgid_plural) -> (msgstr[0], msgstr[1], ...) as in Babel;
    untranslated and fuzzy entries left out. plural(n) is the index of the form for n (the .po's Plural-Forms);
    composed holds the entries with msgctxt "composed", as (pattern, msgstr), and device those with msgctxt
    "device", pattern -> msgstr.

        catalog = load_catalog(HERE / "translations" / "sr.po")
        catalog["Everything is still"]                              # "Sve miruje"
        catalog[("%(num)s visit", "%(num)s visits")][catalog.plural(3)]    # "%(num)s posete"
    """

    def __init__(self, messages: dict[Message, str | tuple[str, ...]], plural: Callable[[int], int],
                 composed: Iterable[tuple[str, str]] = (), device: Mapping[str, str] | None = None) -> None:
        self.messages = messages
        self.plural = plural
        self.composed = list(composed)
        self.device = dict(device or {})

    def __getitem__(self, key: Message) -> str | tuple[str, ...]:
        return self.messages[key]

    def __iter__(self) -> Iterator[Message]:
        return iter(self.messages)

    def __len__(self) -> int:
        return len(self.messages)


def load_catalog(path: Path) -> Catalog:
    """A .po file's translated entries (plural entries with all their forms) and its plural rule."""
    from babel.messages.pofile import read_po

    with open(path, "rb") as fh:
        catalog = read_po(fh)
    messages: dict[Message, str | tuple[str, ...]] = {}
    composed, device = [], {}
    for m in catalog:
        if not m.id or m.fuzzy:
            continue
        if m.pluralizable:
            if all(m.string):
                messages[tuple(m.id)] = tuple(m.string)
        elif m.string and m.context == COMPOSED:
            composed.append((m.id, m.string))
        elif m.string and m.context == DEVICE:
            device[m.id] = m.string
        elif m.string and m.context is None:
            messages[m.id] = m.string
    return Catalog(messages, _gettext.c2py(catalog.plural_expr), composed, device)


ENGLISH = Catalog({}, lambda n: int(n != 1))


def _pattern(msgid: str) -> re.Pattern:
    """A composed text's msgid as a regular expression: each %(name)s is a group."""
    parts = re.split(r"%\((\w+)\)s", msgid)
    regex = "".join(re.escape(part.replace("%%", "%")) if i % 2 == 0 else f"(?P<{part}>.+?)"
                    for i, part in enumerate(parts))
    return re.compile(regex, re.DOTALL)


class Translations:
    """One language: its messages, its plurals, its dates and times, and its patterns of composed texts."""

    def __init__(self, code: str, catalog: Catalog = ENGLISH) -> None:
        self.code = code
        self.catalog = catalog
        self.locale = Locale.parse(LOCALES[code])
        self.tag = str(self.locale).replace("_", "-")          # for the scripts' Intl: "en", "sr-Latn"
        self.categories = self._categories()
        self.composed = [(_pattern(msgid), text) for msgid, text in catalog.composed]

    def _categories(self) -> dict[str, int]:
        """CLDR's plural category -> the .po's form, checked to agree on 0..1000 (the scripts use CLDR's)."""
        found: dict[str, int] = {}
        for n in range(1001):
            category, index = self.locale.plural_form(n), self.catalog.plural(n)
            if found.setdefault(category, index) != index:
                raise ValueError(f"{self.code}: the .po's Plural-Forms and CLDR disagree on {n}")
        return found

    def gettext(self, message: str) -> str:
        found = self.catalog.get(message)
        return found if isinstance(found, str) else message

    __call__ = gettext

    def ngettext(self, singular: str, plural: str, n: float) -> str:
        """The form of *singular* / *plural* for the count *n*, by the language's plural rule."""
        forms = self.catalog.get((singular, plural))
        if not forms:
            return singular if n == 1 else plural
        return forms[min(self._form(n), len(forms) - 1)]

    def _form(self, n: float) -> int:
        """The .po's form for *n*; a fraction (2.5 people on average) takes CLDR's "other"."""
        if isinstance(n, float):
            if not n.is_integer():
                return self.categories["other"]
            n = int(n)
        return self.catalog.plural(n)

    def timestamp(self, value: float | None, pattern: str | None = None) -> str:
        """A time for a page, in the kit's local time zone: "30 Nov 2026, 14:05:09" (or *pattern*'s, "HH:mm");
        "–" for none."""
        if value is None:
            return "–"
        return format_datetime(datetime.fromtimestamp(value).astimezone(), pattern or DATETIME[self.code],
                               locale=self.locale)

    @functools.cached_property
    def list_separator(self) -> str:
        """Between the items of a list written out: "; " where the comma is the decimal sign (1,5; 2), else ", "."""
        return "; " if self.number(0.5, 1) != "0.5" else ", "

    def number(self, value: float, digits: int = 3) -> str:
        """A number as the language writes it, to at most *digits* decimals: 1,234.5 / 1.234,5."""
        return format_decimal(round(value, digits), locale=self.locale)

    def _composed(self, text: str) -> tuple[str, dict[str, str]] | None:
        for pattern, translated in self.composed:
            match = pattern.fullmatch(text)
            if match:
                return translated, match.groupdict()
        return None

    def translate(self, text: str) -> str:
        """A text the kit made: its translation, or that of its pattern with its values in; else itself."""
        if text in self.catalog:
            return self.gettext(text)
        found = self._composed(text)
        return found[0] % found[1] if found else text

    def reason(self, text: str) -> Markup:
        """Why a request was refused (an HTTP error's description), for a page: its values set as code."""
        if text in self.catalog:
            return escape(self.gettext(text))
        found = self._composed(text)
        if not found:
            return escape(text)
        translated, values = found
        return escape(translated) % {name: Markup("<code>%s</code>") % value for name, value in values.items()}

    def device_text(self, text: str, values: Mapping[str, Any] | None = None) -> str:
        """A device's error (/api/status's error_text and error_values) in this language: the pattern's
        translation (else the pattern) with its {name}s filled (web/live.py sends it as error_says)."""
        return fill(self.catalog.device.get(text, text), values or {})

    def for_scripts(self, wanted: Iterable[Message]) -> dict[str, Any]:
        """What the page's scripts need (web/static/i18n.js): Intl's language tag, the translations of *wanted*,
        and their plural entries as {CLDR category: form}."""
        messages, plurals = {}, {}
        for message in wanted:
            found = self.catalog.get(message)
            if isinstance(message, tuple) and found:
                plurals[message[0]] = {category: found[index] for category, index in self.categories.items()}
            elif isinstance(found, str) and found != message:
                messages[message] = found
        return {"lang": self.tag, "messages": messages, "plurals": plurals}


@functools.cache
def translations(code: str) -> Translations:
    """The language *code* ("en", "sr"), read once."""
    if code == "en":
        return Translations("en")
    return Translations(code, load_catalog(HERE / "translations" / f"{code}.po"))


def current() -> Translations:
    """The request's language (English outside a request)."""
    return translations(getattr(g, "lang", "en") if has_request_context() else "en")


def gettext(message: str) -> str:
    return current().gettext(message)


def ngettext(singular: str, plural: str, n: float) -> str:
    return current().ngettext(singular, plural, n)


def timestamp(value: float | None) -> str:
    """A time for a page, in the request's language and the kit's local time zone; "–" for none."""
    return current().timestamp(value)


_STRING = r'"((?:[^"\\]|\\.)*)"'


def script_messages() -> set[Message]:
    """Every t("...") and t.n("...", "...") in the pages' scripts (plural ones as (singular, plural))."""
    found: set[Message] = set()
    for path in (HERE / "static").glob("*.js"):
        text = path.read_text()
        found |= {json.loads(f'"{raw}"') for raw in re.findall(r"\bt\(\s*" + _STRING, text)}
        found |= {(json.loads(f'"{one}"'), json.loads(f'"{many}"'))
                  for one, many in re.findall(r"\bt\.n\(\s*" + _STRING + r"\s*,\s*" + _STRING, text)}
    return found


def init_app(app: Flask) -> None:
    languages = {code: translations(code) for code, _ in LANGUAGES}
    for_scripts = script_messages() | script_values()
    scripts = {code: tr.for_scripts(for_scripts) for code, tr in languages.items()}
    kinds_json = {code: _kinds_json(tr) for code, tr in languages.items()}     # made once, not on every page

    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    app.jinja_env.filters["translate"] = lambda text: current().translate(text)
    app.jinja_env.filters["reason"] = lambda text: current().reason(text)
    app.jinja_env.filters["ts"] = timestamp
    app.jinja_env.filters["number"] = lambda value, digits=3: current().number(value, digits)

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
        return {"lang": lang, "languages": LANGUAGES, "language_url": language_url, "js_messages": scripts[lang],
                "kinds_json": kinds_json[lang]}


def _kinds_json(tr: Translations) -> str:
    """Every kind, its texts in *tr*'s language, as JSON for a page's <script> element."""
    kinds = {name: {**kind.to_dict(), "title": tr.gettext(kind.title), "unit": tr.gettext(kind.unit),
                    "reveals": tr.gettext(kind.reveals), "real_world": tr.gettext(kind.real_world)}
             for name, kind in KINDS.items()}
    return json.dumps(kinds).replace("</", "<\\/")


def language_url(code: str) -> str:
    args = {**(request.view_args or {}), **request.args.to_dict(), "lang": code}
    return url_for(request.endpoint or "pages.live", **args)
