"""How /data shows what is stored: a plain sentence per observation in the page's language (web/sentences.py, which
the live feed says too), every field readable, the side tables' rows as cards, pictures."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from flask import url_for

from web.i18n import current, value_texts
from web.sentences import says

__all__ = ["says", "shown", "fixed", "field", "fields", "side_card", "picture"]  # says: web/sentences.py, for pages.py

KIT_TEXTS = frozenset(value_texts())    # texts the kit writes inside observations, which the catalog translates
TIME_KEYS = frozenset({"ts", "start", "end", "from", "until", "since", "at", "first_seen", "last_seen"})
EPOCH_FROM, EPOCH_TO = 1e9, 1e11        # a Unix time (2001 to 5138), not a count of seconds
SHORT = 60                # characters of a long value shown before "…"; the whole one is a tap away


def shown(value: float, digits: int = 1) -> str:
    """A figure for the page (how long a kind is kept), as its language writes it: to at most *digits* decimals."""
    return current().number(value, digits)


def fixed(value: Any, digits: int = 1) -> str:
    """A figure with exactly *digits* decimals, as the page's language writes it (15,0 / 15.0): what the scripts'
    t.number(x, digits) writes, so that a live value's first render is the same text; "–" for no number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "–"
    return format_decimal(value, format="#,##0" + ("." + "0" * digits if digits > 0 else ""),
                          locale=current().locale, decimal_quantization=True)


def said(value: Any) -> str:
    """A stored value as the page's language writes it: numbers with its decimal sign (1,5), texts the kit wrote
    translated (a pitch claim, a sound's label: web.i18n.value_texts()), lists and objects item by item (with "; "
    between items where the comma is the decimal sign)."""
    tr = current()
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return str(value)
        return format_decimal(value, format="0.###", locale=tr.locale)     # no grouping: 1234,5 in a list stays one
    if isinstance(value, str):
        return tr.gettext(value) if value in KIT_TEXTS else value
    between = tr.list_separator
    if isinstance(value, dict):
        return "{" + between.join(f"{key}: {said(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + between.join(said(item) for item in value) + "]"
    return str(value)


def field(key: str, value: Any) -> dict[str, Any]:
    """One stored field for a card, readable: a time (a Unix time in a field named like one) as a local time, a
    number or a nested value as the language writes it, a text the kit wrote translated; shortened when long (then
    *whole* holds all of it). *stored* holds the value as the database has it (JSON) when that reads otherwise;
    *data* says the text is the stored words (translate="no"), not the page's language."""
    if isinstance(value, bool) or value is None:
        return {"key": key, "flag": value}
    stored = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    is_time = key in TIME_KEYS and isinstance(value, int | float) and EPOCH_FROM <= value < EPOCH_TO
    text = current().timestamp(value) if is_time else said(value)
    # data: words as stored (keys in a list or an object, a user agent, "computer"): not the page's language
    # (translate="no"); a time, a number and a text the kit wrote (translated here) are the page's language.
    data = isinstance(value, dict | list | tuple) or (isinstance(value, str) and value not in KIT_TEXTS)
    out: dict[str, Any] = {"key": key, "text": text, "data": data}
    if text != stored:
        out["stored"] = stored
    if len(text) > SHORT:
        out.update(text=text[:SHORT - 1].rstrip() + "…", whole=text)
    return out


def fields(value: Any) -> list[dict[str, Any]]:
    """A stored JSON value as key: value pairs (a value that is not an object: one pair, "value")."""
    if isinstance(value, dict):
        return [field(str(key), item) for key, item in value.items()]
    return [field("value", value)]


def loads(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None


def side_card(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A side table's row for its card: the row, and its long JSON columns summarised (the whole behind a tap)."""
    card: dict[str, Any] = {"row": row}
    if table == "tracks":
        path = loads(row.get("trajectory"))
        points = [p for p in path if isinstance(p, list) and len(p) >= 3] if isinstance(path, list) else []
        card["path"] = {"n": len(points), "first": points[0][1:3] if points else None,
                        "last": points[-1][1:3] if points else None, "whole": row.get("trajectory")}
        signature = loads(row.get("signature"))
        card["signature"] = {
            "parts": [(str(key), len(part) if isinstance(part, list) else None)
                      for key, part in signature.items()] if isinstance(signature, dict) else [],
            "whole": row.get("signature")}
    elif table == "visitors":
        details = loads(row.get("details"))
        card["details"] = fields(details if details is not None else row.get("details"))
    return card


def picture(data_dir: Path, row: dict[str, Any] | None, blur: bool) -> dict[str, Any] | None:
    """How a snapshot's picture is shown: its address, its size (for width and height), and whether this viewer
    sees it blurred; None when no row lists it or its file is gone."""
    from web.views.snapshots import jpeg_size, stored_file

    if row is None:
        return None
    path = stored_file(data_dir, row["file"])
    size = jpeg_size(path) if path is not None else None
    if size is None:
        return {"id": row["id"], "gone": True}
    width, height = size
    return {"id": row["id"], "src": url_for("snapshots.picture", id=row["id"]), "width": width, "height": height,
            "blurred": bool(row["blurred"]) or blur, "gone": False}
