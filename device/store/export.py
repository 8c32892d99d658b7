"""Export: one line per observation, the same shape as the API (JSON lines) or as CSV. It only reads,
so it works on a store whose writer was never started (as `awareness-kit export` builds it).

    with open("out.jsonl", "w") as out:
        count = export(store, out, fmt="jsonl", since=None, kind=None)
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import TextIO

from device.store.reading import Reads

FIELDS = ("id", "ts", "source", "kind", "subject", "value", "confidence")


def lines(store: Reads, *, fmt: str, since: float | None = None, kind: str | None = None) -> Iterator[str]:
    """The export as text lines (each ends with a newline), streamed a page at a time."""
    if fmt == "jsonl":
        for obs in store.iterate(kind=kind, since=since):
            yield obs.to_json() + "\n"
    elif fmt == "csv":
        buffer = _Line()
        writer = csv.writer(buffer)
        writer.writerow(FIELDS)
        yield buffer.take()
        for obs in store.iterate(kind=kind, since=since):
            row = obs.to_dict()
            writer.writerow([json.dumps(row[f], separators=(",", ":")) if f == "value" else row[f] for f in FIELDS])
            yield buffer.take()
    else:
        raise ValueError(f"format must be jsonl or csv, not {fmt!r}")


def export(store: Reads, out: TextIO, *, fmt: str, since: float | None = None, kind: str | None = None) -> int:
    """Write the export to *out*; returns how many observations were written."""
    count = -1 if fmt == "csv" else 0
    for line in lines(store, fmt=fmt, since=since, kind=kind):
        out.write(line)
        count += 1
    return count


class _Line:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def take(self) -> str:
        text, self.text = self.text, ""
        return text
