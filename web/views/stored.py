"""How /data shows what is stored: a plain sentence per observation in the page's language (web/sentences.py, which
the live feed says too), every field readable, the side tables' rows as cards, pictures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import url_for

from web.i18n import current
from web.sentences import says

__all__ = ["says", "shown", "field", "fields", "side_card", "picture"]    # says: web/sentences.py, for pages.py

SHORT = 60                # characters of a long value shown before "…"; the whole one is a tap away


def shown(value: float, digits: int = 1) -> str:
    """A figure for the page (how long a kind is kept), as its language writes it: to at most *digits* decimals."""
    return current().number(value, digits)


def field(key: str, value: Any) -> dict[str, Any]:
    """One stored field for a card: its text, shortened when long (then *whole* holds all of it)."""
    if isinstance(value, bool) or value is None:
        return {"key": key, "flag": value}
    if isinstance(value, str):
        text = value
    elif isinstance(value, int | float):
        text = str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if len(text) <= SHORT:
        return {"key": key, "text": text}
    return {"key": key, "text": text[:SHORT - 1].rstrip() + "…", "whole": text}


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
