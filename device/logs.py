"""Bounded logging for a kit left running all day: a message that repeats is logged once, then summarised.

A kit runs unattended for days and logs to the journal (on a Pi, an SD card). A sensor with no echo (gpiozero
warns at every read that gets none, up to ten a second) or a worker restarting with back-off every 30 s would
fill it. RepeatLimiter, a filter on the log's handler, lets the first occurrences of each message (3) through at once,
counts the ones that follow, and writes one line per window (5 min) saying how often it came:

    limiter = setup(logging.INFO, sys.stderr)     # the CLI's logging: stderr, gpiozero's warnings as log lines
    ...  # "WARNING py.warnings: DistanceSensorNoEcho: no echo received (gpiozero/input_devices.py:974)"
    ...  # 5 min later: "WARNING py.warnings: DistanceSensorNoEcho: no echo received (gpiozero/...:974)
    ...  #              [repeated 2987 times in the last 5 min]"
    limiter.flush()                               # at exit: the counts not yet written

Messages are told apart by their logger, level, text and arguments with numbers left out (a back-off of 1 s or
30 s is the same problem, another error is another): every distinct problem shows. One that falls quiet for a
minute shows again at once when it comes back.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

WINDOW_S = 300.0        # at most one summary line per message per window
QUIET_S = 60.0          # a message unseen this long is new again: it shows at once
BURST = 3               # how many of a message show at once before the rest are counted
SWEEP_EVERY_S = 5.0     # how often the table of messages is swept of quiet ones (once it holds over 256)
NUMBER = re.compile(r"\d+(?:\.\d+)?")


class _Seen:
    """One message's state: when it was last seen, and how often since the window began."""

    __slots__ = ("record", "window_start", "last", "shown", "count", "timer")

    def __init__(self, record: logging.LogRecord, now: float) -> None:
        self.record = record
        self.window_start = now
        self.last = now
        self.shown = 1
        self.count = 0
        self.timer: threading.Timer | None = None


class RepeatLimiter(logging.Filter):
    """A handler filter: the first few of each message at once, then one line per window with the count.

        limiter = RepeatLimiter()
        limiter.attach(handler)        # the handler gets the summaries too
    """

    def __init__(self, window_s: float = WINDOW_S, quiet_s: float = QUIET_S, burst: int = BURST,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.burst = burst
        self.window_s = window_s
        self.quiet_s = quiet_s
        self.clock = clock
        self._handlers: list[logging.Handler] = []
        self._seen: dict[tuple[Any, ...], _Seen] = {}
        self._swept = float("-inf")
        self._lock = threading.Lock()

    def attach(self, handler: logging.Handler) -> RepeatLimiter:
        handler.addFilter(self)
        self._handlers.append(handler)
        return self

    @staticmethod
    def key(record: logging.LogRecord) -> tuple[Any, ...]:
        """What makes two records the same message: logger, level, text, and arguments without their numbers."""
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        shown = tuple(NUMBER.sub("#", str(arg)) for arg in args) if record.args else ()
        return record.name, record.levelno, str(record.msg), shown

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "repeat_summary", False) or record.levelno < logging.INFO:
            return True         # debugging detail is asked for; it is not bounded
        now = self.clock()
        due: list[_Seen] = []
        with self._lock:
            key = self.key(record)
            seen = self._seen.get(key)
            if seen is None or now - seen.last >= self.quiet_s:
                if seen is not None and seen.count:
                    due.append(self._take(key, seen))       # the tail of its last run, before it shows again
                self._seen[key] = _Seen(record, now)
                passed = True
            elif seen.shown < self.burst and not seen.count:
                seen.shown += 1         # a few at once (three steps of a migration are not a repeat)
                seen.record, seen.last = record, now
                passed = True
            else:
                seen.record, seen.last = record, now       # the summary tells the latest one
                seen.count += 1
                if now - seen.window_start >= self.window_s:
                    due.append(self._take(key, seen, keep=True, now=now))
                elif seen.timer is None:
                    seen.timer = threading.Timer(self.window_s - (now - seen.window_start), self.flush_due)
                    seen.timer.daemon = True
                    seen.timer.start()
                passed = False
            self._forget_old(now)
        self._write(due)
        return passed

    def _take(self, key: tuple[Any, ...], seen: _Seen, *, keep: bool = False,
              now: float | None = None) -> tuple[logging.LogRecord, int, float]:
        """The summary of *seen*'s window (under the lock); a new window begins, or it is forgotten."""
        summary = (seen.record, seen.count, (now if now is not None else self.clock()) - seen.window_start)
        if seen.timer is not None:
            seen.timer.cancel()
            seen.timer = None
        if keep:
            seen.window_start, seen.count = summary[2] + seen.window_start, 0
        else:
            self._seen.pop(key, None)
        return summary

    def _forget_old(self, now: float) -> None:
        """Drop messages quiet for a while with nothing to tell, so the table stays small: a sweep over the table
        at most every few seconds, not on every line (many distinct messages would make each line pay for all)."""
        if len(self._seen) > 256 and now - self._swept >= SWEEP_EVERY_S:
            self._swept = now
            for key, seen in list(self._seen.items()):
                if not seen.count and now - seen.last >= self.quiet_s:
                    del self._seen[key]

    def pending(self) -> dict[str, int]:
        """Each message held back since its last line, and how many times."""
        with self._lock:
            return {seen.record.getMessage(): seen.count for seen in self._seen.values() if seen.count}

    def flush_due(self) -> None:
        """Write the summaries whose window has ended (the timer calls this for a message that fell quiet)."""
        self._flush(lambda seen, now: now - seen.window_start >= self.window_s - 0.05)

    def flush(self) -> None:
        """Write every count not yet written (at exit)."""
        self._flush(lambda seen, now: True)

    def _flush(self, ready: Callable[[_Seen, float], bool]) -> None:
        now = self.clock()
        with self._lock:
            due = [self._take(key, seen, keep=now - seen.last < self.quiet_s, now=now)
                   for key, seen in list(self._seen.items()) if seen.count and ready(seen, now)]
        self._write(due)

    def _write(self, due: list[Any]) -> None:
        for record, count, span in due:
            summary = logging.makeLogRecord(record.__dict__)
            summary.msg = f"{record.getMessage()} [repeated {count} {'time' if count == 1 else 'times'} in the " \
                          f"last {_span(span)}]"
            summary.args = None
            summary.exc_info = summary.exc_text = None
            summary.created = time.time()
            summary.msecs = (summary.created % 1) * 1000
            summary.repeat_summary = True
            for handler in self._handlers:
                handler.handle(summary)

    def close(self) -> None:
        """Write what is pending and stop the timers; the limiter keeps filtering."""
        self.flush()


def _span(seconds: float) -> str:
    if seconds >= 90:
        return f"{seconds / 60:.0f} min"
    return f"{max(1, round(seconds))} s"


def show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: TextIO | None = None, line: str | None = None) -> None:
    """A Python warning as one log line, "Category: text (package/file.py:line)", not three lines with its source."""
    where = Path(filename)
    short = f"{where.parent.name}/{where.name}" if where.parent.name else where.name
    logging.getLogger("py.warnings").warning("%s: %s (%s:%d)", category.__name__, message, short, lineno)


def capture_warnings() -> None:
    """Python warnings go to the log as one line each; gpiozero's are all let through (the limiter bounds them).

    Python shows a warning once per place only until anything changes the warning filters (catch_warnings()
    does, in any library), and then again: gpiozero's came at random. With "always", each one reaches the
    limiter, whose count is then true."""
    warnings.showwarning = show_warning
    # By the module that warns, so that every command (export, reset-pin...) need not import gpiozero for this;
    # by gpiozero's category too when it is already loaded (a warning of its kind raised from elsewhere).
    warnings.filterwarnings("always", module=r"gpiozero(\.|$)")
    exc = sys.modules.get("gpiozero.exc")
    if exc is not None:
        warnings.filterwarnings("always", category=exc.GPIOZeroWarning)


_limiter: RepeatLimiter | None = None


def setup(level: int, stream: TextIO = sys.stderr) -> RepeatLimiter:
    """The kit's logging: *stream*, timestamps, repeats bounded, warnings as log lines; the limiter in use."""
    global _limiter
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    _limiter = RepeatLimiter().attach(handler)
    capture_warnings()
    return _limiter


def flush() -> None:
    """Write the pending counts of the limiter setup() made, if any (before the process ends)."""
    if _limiter is not None:
        _limiter.flush()
