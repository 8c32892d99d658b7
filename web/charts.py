"""Charts drawn on the device as SVG, from the store: no chart library, nothing fetched.

    timeline(store, now)   # the last hour, minute by minute: how many people were in view
    hours(store, now)      # the last 24 hours: how many people came by each hour (tracks started)
    dwell(store)           # how long people stayed: a histogram of the tracks table
"""

from __future__ import annotations

import math
from html import escape

WIDTH, HEIGHT = 600, 160
DWELL_BINS = [(0, 10, "<10 s"), (10, 30, "10-30 s"), (30, 60, "30-60 s"), (60, 120, "1-2 min"),
              (120, 300, "2-5 min"), (300, math.inf, ">5 min")]


def _bars(title: str, labels: list[str], values: list[float], *, colour: str, unit: str,
          label_every: int = 1) -> str:
    peak = max(values, default=0) or 1
    n = max(len(values), 1)
    slot = (WIDTH - 40) / n
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             '<rect width="100%" height="100%" fill="#1b2128"/>',
             f'<text x="8" y="16" fill="#eef2f5" font-size="13" font-family="sans-serif">{escape(title)}</text>',
             f'<text x="{WIDTH - 8}" y="16" fill="#b8c2cc" font-size="11" font-family="sans-serif" '
             f'text-anchor="end">max {peak:g} {escape(unit)}</text>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = (HEIGHT - 50) * value / peak
        x = 30 + i * slot
        parts.append(f'<rect x="{x:.1f}" y="{HEIGHT - 24 - height:.1f}" width="{max(slot - 2, 1):.1f}" '
                     f'height="{height:.1f}" fill="{colour}"><title>{escape(label)}: {value:g} {escape(unit)}'
                     '</title></rect>')
        if i % label_every == 0:
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - 8}" fill="#b8c2cc" font-size="10" '
                         f'font-family="sans-serif" text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def timeline(store, now: float) -> str:
    start = now - 3600
    rows = store.per_minute(kind="person", since=start, distinct_subjects=True)
    people = [0.0] * 60
    for minute, value in rows:
        if 0 <= minute < 60:
            people[minute] = value
    labels = [f"-{60 - m}'" for m in range(60)]
    return _bars("People in view, minute by minute, the last hour", labels, people, colour="#ffb347",
                 unit="people", label_every=10)


def hours(store, now: float) -> str:
    import time as _time

    start = (now // 3600 - 23) * 3600
    counts = [0.0] * 24
    for hour, value in store.per_hour_new_tracks(since=start):
        if 0 <= hour < 24:
            counts[hour] = value
    labels = [_time.strftime("%H", _time.localtime(start + h * 3600)) for h in range(24)]
    return _bars("People who came by, per hour, the last 24 hours", labels, counts, colour="#8ecbff",
                 unit="people", label_every=3)


def dwell(store) -> str:
    values = store.dwell_times()
    counts = [float(sum(low <= v < high for v in values)) for low, high, _ in DWELL_BINS]
    return _bars(f"How long people stayed ({len(values)} people)", [b[2] for b in DWELL_BINS], counts,
                 colour="#7bd389", unit="people")
