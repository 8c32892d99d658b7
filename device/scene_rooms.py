"""The simulated exhibition: the same visitors walk through every room, in order.

Room 0 is the scene as one kit plays it. In room k, visit n is the same person (face, shirt, voice) entering
k * ROOM_SHIFT_S seconds after they entered room 0, having left room k-1 by then; where they stand, when they
look and talk, and how long they stay are drawn anew for the room. Still a pure function of (seed, time, room)::

    Scene(seed=1, room=2)       # the third room: every kit of the exhibition uses the same seed
"""

from __future__ import annotations

import dataclasses

import numpy as np

ROOM_SHIFT_S = 24.0         # a whole visit (at most 21 s) and a short walk to the next room


def in_room(visitor, seed: int, room: int, walk_s: float):
    """*visitor* (as room 0 plays them) in *room*: the same person, later, with their own moves there."""
    if room == 0:
        return visitor
    rng = np.random.default_rng([seed, visitor.number, 1000 + room])
    enter = visitor.enter + room * ROOM_SHIFT_S
    arrive = enter + walk_s
    stand = float(rng.uniform(8.0, 16.0))
    look_start = arrive + float(rng.uniform(0.8, 2.0))
    look_end = min(look_start + float(rng.uniform(4.0, 9.0)), arrive + stand - 0.8)
    talk_start = look_start + float(rng.uniform(0.5, 1.5))
    talk_end = min(talk_start + float(rng.uniform(2.0, 5.0)), look_end)
    return dataclasses.replace(
        visitor, side=-1 if rng.random() < 0.5 else 1, distance_m=float(rng.uniform(1.2, 2.4)),
        stop_x=(180.0 if (visitor.number + room) % 2 else 460.0) + float(rng.uniform(-30, 30)),
        enter=enter, look_start=look_start, talk_start=talk_start, talk_end=talk_end, look_end=look_end,
        exit=arrive + stand + walk_s, clap_at=None)
