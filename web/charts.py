"""Charts drawn on the device as SVG, from the store: no chart library, nothing fetched; their words in the
language given (web.i18n.Translations, English by default).

    timeline(store, now, tr)   # the last hour, minute by minute: how many people were in view
    hours(store, now, tr)      # the last 24 hours: how many people came by each hour (tracks started)
    dwell(store, tr)           # how long people stayed: a histogram of the tracks table
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from html import escape

from web.i18n import Translations, translations

WIDTH, HEIGHT = 600, 160
DWELL_BINS = [(0, 10, "<10 s"), (10, 30, "10-30 s"), (30, 60, "30-60 s"), (60, 120, "1-2 min"),
              (120, 300, "2-5 min"), (300, math.inf, ">5 min")]


def _people(tr: Translations) -> Callable[[float], str]:
    """A count of people as words: "1 person", "4 people"."""
    return lambda n: tr.ngettext("%(num)s person", "%(num)s people", n) % {"num": f"{n:g}"}


def _bars(title: str, labels: list[str], values: list[float], *, colour: str, amount: Callable[[float], str],
          most: Callable[[float], str], label_every: int = 1) -> str:
    peak = max(values, default=0) or 1
    n = max(len(values), 1)
    slot = (WIDTH - 40) / n
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             '<rect width="100%" height="100%" fill="#1b2128"/>',
             f'<text x="8" y="16" fill="#eef2f5" font-size="13" font-family="sans-serif">{escape(title)}</text>',
             f'<text x="{WIDTH - 8}" y="16" fill="#b8c2cc" font-size="11" font-family="sans-serif" '
             f'text-anchor="end">{escape(most(max(values, default=0)))}</text>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = (HEIGHT - 50) * value / peak
        x = 30 + i * slot
        parts.append(f'<rect x="{x:.1f}" y="{HEIGHT - 24 - height:.1f}" width="{max(slot - 2, 1):.1f}" '
                     f'height="{height:.1f}" fill="{colour}"><title>{escape(label)}: {escape(amount(value))}'
                     '</title></rect>')
        if i % label_every == 0:
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - 8}" fill="#b8c2cc" font-size="10" '
                         f'font-family="sans-serif" text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _people_bars(tr: Translations, title: str, labels: list[str], values: list[float], *, colour: str,
                 label_every: int = 1) -> str:
    people = _people(tr)
    return _bars(title, labels, values, colour=colour, amount=people, label_every=label_every,
                 most=lambda n: tr.gettext("max %(people)s") % {"people": people(n)})


def timeline(store, now: float, tr: Translations | None = None) -> str:
    tr = tr or translations("en")
    start = now - 3600
    rows = store.per_minute(kind="person", since=start, distinct_subjects=True)
    people = [0.0] * 60
    for minute, value in rows:
        if 0 <= minute < 60:
            people[minute] = value
    labels = [f"-{60 - m}'" for m in range(60)]
    return _people_bars(tr, tr.gettext("People in view, minute by minute, the last hour"), labels, people,
                        colour="#ffb347", label_every=10)


def hours(store, now: float, tr: Translations | None = None) -> str:
    tr = tr or translations("en")
    start = (now // 3600 - 23) * 3600
    counts = [0.0] * 24
    for hour, value in store.per_hour_new_tracks(since=start):
        if 0 <= hour < 24:
            counts[hour] = value
    labels = [time.strftime("%H", time.localtime(start + h * 3600)) for h in range(24)]
    return _people_bars(tr, tr.gettext("People who came by, per hour, the last 24 hours"), labels, counts,
                        colour="#8ecbff", label_every=3)


def dwell(store, tr: Translations | None = None) -> str:
    tr = tr or translations("en")
    values = store.dwell_times()
    counts = [float(sum(low <= v < high for v in values)) for low, high, _ in DWELL_BINS]
    title = tr.ngettext("How long people stayed (%(num)s person)", "How long people stayed (%(num)s people)",
                        len(values)) % {"num": len(values)}
    return _people_bars(tr, title, [b[2] for b in DWELL_BINS], counts, colour="#7bd389")
