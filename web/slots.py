"""Places for long-lived streams (the camera, the events), and the line of phones waiting for one.

A cap on streams of one kind, and on those of one client address, so that one phone cannot take every place.
Beyond the cap a phone is refused (a polite 503) but, where the slots keep a line (the camera's), it is given a
ticket: it sends the ticket back when it asks again, and the next free place goes to the phone that has waited
longest, first come, first served. A place that frees is held for the head of the line until it comes back or its
ticket expires (it is told to come back within a few seconds); a ticket that is not brought back expires. The line
is bounded, in all and per address. The device's own screen (address None) is never refused nor queued: it is the
exhibit.

    slots = ViewerSlots(40, per_address=4, queue=True)
    answer = slots.acquire("192.168.4.23")          # truthy: a place, until release("192.168.4.23")
    if not answer:
        answer.ticket, answer.place, answer.wait_s, answer.retry_after     # for the 503, and the next try
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

STREAMS_PER_ADDRESS = 4     # of each kind: a phone needs one of each; a few tabs may have more
GRACE_S = 5.0               # a ticket lives this long past the time its phone was told to come back
NEAR_RETRY_S = 5            # the next few in line come back at least this often: a place held for them waits little
FAR_RETRY_S = 15            # the others at least this often
NEAR = 3                    # how many places from the front are "near"
SESSION_S = 120.0           # how long a phone watches, until the kit has measured it (a moving average after)


@dataclass(frozen=True)
class Answer:
    """What acquire() says: a place (truthy), or why not and when to come back.

    *ticket*: to send back when asking again (None: not in the line: the address has all its places, or the
    line is full, or these slots keep none); *place*: 1 for the next in line; *wait_s*: the estimated time until
    its turn; *retry_after*: when to ask again (s); *reason*: "full" or "address"."""

    admitted: bool
    ticket: str | None = None
    place: int = 0
    wait_s: float = 0.0
    retry_after: int = 0
    reason: str = ""

    def __bool__(self) -> bool:
        return self.admitted


ADMITTED = Answer(True)


@dataclass
class _Ticket:
    address: str
    expires: float


class ViewerSlots:
    """A cap of *limit* streams for phones, *per_address* for one address; a line of tickets if *queue*."""

    def __init__(self, limit: int, *, per_address: int = STREAMS_PER_ADDRESS, queue: bool = False,
                 max_waiting: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.per_address = per_address
        self.queue = queue
        self.max_waiting = max_waiting if max_waiting is not None else max(32, 4 * limit)
        self.clock = clock
        self.active = 0             # every stream, the device's own included
        self.phones = 0             # the streams the cap counts
        self.refused = 0
        self.by_address: dict[str, int] = {}
        self.waiting: OrderedDict[str, _Ticket] = OrderedDict()     # by ticket, longest waiting first
        self.session_s = SESSION_S
        self._started: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, address: str | None = None, ticket: str | None = None) -> Answer:
        """A place for a stream of *address* (web.limits.address_key; None for the device itself), which brings
        back *ticket* if an earlier refusal gave it one."""
        with self._lock:
            now = self.clock()
            if address is None:
                self.active += 1
                return ADMITTED
            self._expire(now)
            mine = self.by_address.get(address, 0)
            if mine >= self.per_address:
                self.refused += 1
                return Answer(False, retry_after=30, reason="address")
            free = self.limit - self.phones
            line = list(self.waiting)
            held = self.waiting.get(ticket) if ticket else None
            ahead = line.index(ticket) if held is not None and held.address == address else len(line)
            if ahead < free:
                if ahead < len(line):
                    del self.waiting[ticket]
                self.active += 1
                self.phones += 1
                self.by_address[address] = mine + 1
                self._started.setdefault(address, deque()).append(now)
                return ADMITTED
            self.refused += 1
            if ahead == len(line):      # not in the line yet
                ticket = self._new_ticket(address, now)
                if ticket is None:
                    return Answer(False, retry_after=self._retry(ahead - free + 1), reason="full",
                                  wait_s=self._wait(ahead - free + 1))
            place = ahead + 1
            retry = self._retry(place - free)
            self.waiting[ticket].expires = now + retry + GRACE_S
            return Answer(False, ticket=ticket, place=place, wait_s=self._wait(place - free), retry_after=retry,
                          reason="full")

    def release(self, address: str | None = None) -> None:
        with self._lock:
            self.active -= 1
            if address is None:
                return
            self.phones -= 1
            left = self.by_address.pop(address, 0) - 1
            if left > 0:
                self.by_address[address] = left
            started = self._started.get(address)
            if started:
                watched = self.clock() - started.popleft()
                self.session_s += 0.2 * (watched - self.session_s)      # a moving average of how long phones watch
                if not started:
                    del self._started[address]

    # ---- the line (called with the lock held)
    def _expire(self, now: float) -> None:
        for ticket in [ticket for ticket, held in self.waiting.items() if held.expires <= now]:
            del self.waiting[ticket]

    def _new_ticket(self, address: str, now: float) -> str | None:
        """A place at the end of the line, unless it is full or the address has as many tickets as places."""
        if not self.queue or len(self.waiting) >= self.max_waiting or \
                sum(held.address == address for held in self.waiting.values()) >= self.per_address:
            return None
        ticket = secrets.token_urlsafe(12)
        self.waiting[ticket] = _Ticket(address, now)
        return ticket

    def _wait(self, turns: int) -> float:
        """The estimated time until *turns* places have freed: phones watch session_s on average, so with every
        place taken one frees every session_s / limit."""
        return round(max(1, turns) * self.session_s / max(1, self.limit), 1)

    def _retry(self, turns: int) -> int:
        most = NEAR_RETRY_S if turns <= NEAR else FAR_RETRY_S
        return int(min(most, max(1, round(self._wait(turns)))))
