"""The simulated scene: visitors walk in, stop, look at the camera, talk and leave, forever.

It is a pure function of (seed, time, room), so the simulated camera, microphone and sensors that read it
stay in step, a seed replays the same visitors, and in a simulated exhibition the same visitors walk through
every room in order (device/scene_rooms.py)::

    scene = Scene(seed=1)
    image = scene.render(12.0)          # 640x480 BGR frame at t = 12 s
    samples = scene.sound(0, 1600)      # the first 0.1 s of the room's sound at 16 kHz
    scene.people(12.0)                  # who is there, where, and what they are doing

Faces are real public-domain imagery bundled with scikit-image (the astronaut Eileen Collins and faces
from its LFW subset), so the real face detector finds them.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from device.scene_media import clap, face_bank, footsteps, paste, resized_face, voice  # noqa: F401 (face_bank: public here too)
from device.scene_rooms import ROOM_SHIFT_S, in_room

WIDTH, HEIGHT = 640, 480
ROOM_DEPTH_M = 3.5          # where the back wall is, for the distance sensor
PIR_HOLD_S = 2.0            # a PIR module keeps its output high this long after the last movement
WALK_S = 2.5                # time to walk from the edge of the picture to the standing spot


@dataclass(frozen=True)
class Visitor:
    """One scripted visitor: who they look like and when they enter, look, talk and leave."""

    number: int
    person: int              # who this is: a returning visitor has the number of their first visit
    face: int
    shirt: tuple[int, int, int]
    distance_m: float
    side: int                # -1 enters from the left, +1 from the right
    stop_x: float
    enter: float
    look_start: float
    talk_start: float
    talk_end: float
    look_end: float
    exit: float
    pitch_hz: float
    clap_at: float | None = None     # some visitors clap once, to see the kit notice

    @property
    def arrive(self) -> float:
        return self.enter + WALK_S

    @property
    def leave(self) -> float:
        return self.exit - WALK_S

    def present(self, t: float) -> bool:
        return self.enter <= t < self.exit

    def looking(self, t: float) -> bool:
        return self.look_start <= t < self.look_end

    def talking(self, t: float) -> bool:
        return self.talk_start <= t < self.talk_end

    def walking(self, t: float) -> bool:
        return self.present(t) and not self.arrive <= t < self.leave

    def distance_at(self, t: float) -> float:
        """Metres from the kit: farther while walking across the picture."""
        return self.distance_m + (0.8 if self.walking(t) else 0.0)

    def x_at(self, t: float) -> float:
        edge = WIDTH / 2 + self.side * (WIDTH / 2 + 120)
        if t < self.arrive:
            return edge + (self.stop_x - edge) * (t - self.enter) / WALK_S
        if t >= self.leave:
            return self.stop_x + (edge - self.stop_x) * (t - self.leave) / WALK_S
        return self.stop_x + 2.0 * math.sin(t * 2.1 + self.number)   # people sway a little


@dataclass(frozen=True)
class Person:
    """What the scene shows of a visitor at one moment (the ground truth that tests compare with)."""

    visitor: Visitor
    box: tuple[int, int, int, int]        # whole body, x, y, w, h
    face_box: tuple[int, int, int, int]   # head, x, y, w, h
    looking: bool
    talking: bool
    distance_m: float


@dataclass(frozen=True)
class Car:
    """A car driving past the front of the scene, its licence plate in view."""

    enter: float
    plate: str
    colour: tuple[int, int, int]
    CROSS_S = 4.0
    WIDTH = 300

    def present(self, t: float) -> bool:
        return self.enter <= t < self.enter + self.CROSS_S

    def x_at(self, t: float) -> int:
        return int(-self.WIDTH + (WIDTH + self.WIDTH) * (t - self.enter) / self.CROSS_S)

    def plate_box(self, t: float) -> tuple[int, int, int, int]:
        return self.x_at(t) + 85, 392, 130, 30


CAR_EVERY_S = 75.0


def car(seed: int, k: int) -> Car:
    """The k-th car: one every CAR_EVERY_S seconds or so, with a Belgrade-style plate."""
    rng = np.random.default_rng([seed, k, 3])
    letters = "ABCDEFGHJKLMNPRSTUVZ"
    plate = f"BG{rng.integers(100, 1000)}{letters[rng.integers(0, 20)]}{letters[rng.integers(0, 20)]}"
    colour = tuple(int(c) for c in rng.integers(40, 200, size=3))
    return Car(20.0 + k * CAR_EVERY_S + float(rng.uniform(0, 20)), plate, colour)  # type: ignore[arg-type]


RETURN_CHANCE = 0.3


def _appearance(seed: int, number: int) -> tuple[int, tuple[int, int, int], float]:
    """(face, shirt colour, voice pitch) of someone visiting for the first time."""
    rng = np.random.default_rng([seed, number, 1])
    shirt = tuple(int(c) for c in rng.integers(30, 220, size=3))
    return int(rng.integers(0, len(face_bank()))), shirt, float(rng.uniform(95, 230))  # type: ignore[return-value]


def _visitor(seed: int, number: int, enter: float, earlier: list[Visitor],
             away_s: float = 0.0) -> tuple[Visitor, float]:
    """Script visit *number*, entering at *enter*; also return the gap before the next one enters.

    About one visit in three is someone who came before, gone for at least a few seconds, looking and
    sounding the same (for re-identification); *earlier* is every visit scripted so far; *away_s*: how much
    later they leave the exhibition's last room."""
    rng = np.random.default_rng([seed, number])
    stand = rng.uniform(8.0, 16.0)
    arrive = enter + WALK_S
    look_start = arrive + rng.uniform(0.8, 2.0)
    look_end = min(look_start + rng.uniform(4.0, 9.0), arrive + stand - 0.8)
    talk_start = look_start + rng.uniform(0.5, 1.5)
    talk_end = min(talk_start + rng.uniform(2.0, 5.0), look_end)
    person, (face, shirt, pitch) = number, _appearance(seed, number)
    last_visits = {v.person: v for v in earlier}
    gone = [v for v in last_visits.values() if v.exit + away_s < enter - 3.0 and v.exit > enter - 300]
    if gone and rng.random() < RETURN_CHANCE:
        back = gone[int(rng.integers(0, len(gone)))]
        person, face, shirt, pitch = back.person, back.face, back.shirt, back.pitch_hz
    visitor = Visitor(
        number=number, person=person, face=face, shirt=shirt,
        distance_m=float(rng.uniform(1.2, 2.4)), side=-1 if rng.random() < 0.5 else 1,
        stop_x=(180.0 if number % 2 else 460.0) + float(rng.uniform(-30, 30)),
        enter=enter, look_start=look_start, talk_start=talk_start, talk_end=talk_end, look_end=look_end,
        exit=arrive + stand + WALK_S, pitch_hz=pitch,
    )
    gap = float(rng.uniform(7.0, 16.0))
    if rng.random() < 0.35 and look_end + 0.6 < arrive + stand:     # drawn last: the rest stays as it was
        visitor = dataclasses.replace(visitor, clap_at=look_end + 0.3)
    return visitor, gap


class Scene:
    """The scripted room, deterministic for a seed; see the module docstring."""

    LONGEST_VISIT_S = 2 * WALK_S + 16.0

    def __init__(self, seed: int = 1, *, first_entry_s: float = 0.5, room: int = 0, rooms: int = 1) -> None:
        """*room*: which of the *rooms* of a simulated exhibition this is (device/scene_rooms.py); 0 is the first."""
        self.seed = seed
        self.room = room
        self._away_s = (rooms - 1) * ROOM_SHIFT_S       # a visitor comes back only after the last room
        self._script: list[Visitor] = []          # the visits as the first room plays them
        self._visitors: list[Visitor] = []        # the same visits in this room
        self._enters: list[float] = []
        self._next_enter = first_entry_s
        self._background = self._draw_background()
        rng = np.random.default_rng([seed, 2**20])
        self._noise = [rng.integers(0, 4, size=(HEIGHT, WIDTH, 3), dtype=np.uint8) for _ in range(4)]

    # ---- the script
    def visitors_between(self, start: float, end: float) -> list[Visitor]:
        """Visitors present at some moment in [start, end)."""
        while self._next_enter + self.room * ROOM_SHIFT_S < end:
            visitor, gap = _visitor(self.seed, len(self._script) + 1, self._next_enter, self._script[-40:],
                                    self._away_s)
            self._script.append(visitor)
            visitor = in_room(visitor, self.seed, self.room, WALK_S)
            self._visitors.append(visitor)
            self._enters.append(visitor.enter)
            self._next_enter += gap
        first = bisect.bisect_left(self._enters, start - self.LONGEST_VISIT_S)
        last = bisect.bisect_left(self._enters, end)
        return [v for v in self._visitors[first:last] if v.exit > start]

    def people(self, t: float) -> list[Person]:
        """Who is in view at time t, nearest last (so they are drawn on top)."""
        people = []
        for v in self.visitors_between(t, t + 1e-9):
            distance = v.distance_at(t)
            scale = 1.5 / distance
            face = int(96 * scale)
            body_w, body_h = int(150 * scale), int(260 * scale)
            cx = int(v.x_at(t))
            head_y = int(110 + (scale - 0.6) * 90)
            box = (cx - body_w // 2, head_y, body_w, face + body_h)
            people.append(Person(v, box, (cx - face // 2, head_y, face, face), v.looking(t), v.talking(t),
                                 distance))
        return sorted(people, key=lambda p: -p.distance_m)

    def cars(self, t: float) -> list[Car]:
        """Cars in view at time t."""
        k = int((t - 20.0) // CAR_EVERY_S)
        return [c for c in (car(self.seed, i) for i in (k - 1, k) if i >= 0) if c.present(t)]

    def light(self, t: float) -> float:
        """The room's light (0 dark, 1 bright): lights on, but switched off for 20 s every ten minutes."""
        return 0.12 if 580.0 <= t % 600.0 else 0.78 + 0.04 * math.sin(t / 37.0)

    def pir(self, t: float) -> bool:
        """The PIR output: high while someone moves in the room, and PIR_HOLD_S after."""
        return any(v.enter + 0.2 <= t < v.exit + PIR_HOLD_S for v in self.visitors_between(t - PIR_HOLD_S, t))

    def distance(self, t: float) -> float:
        """What the ultrasonic sensor measures: the nearest visitor, or the back wall."""
        return min((p.distance_m for p in self.people(t)), default=ROOM_DEPTH_M)

    # ---- the camera
    def render(self, t: float) -> np.ndarray:
        """The camera's 640x480 BGR frame at time t."""
        import cv2

        image = self._background.copy()
        for passing in self.cars(t):
            self._draw_car(image, passing, t, cv2)
        for person in self.people(t):
            self._draw_person(image, person, cv2)
        frame_number = int(t * 30)
        cv2.add(image, self._noise[frame_number % 4], dst=image)
        cv2.subtract(image, self._noise[(frame_number + 2) % 4], dst=image)
        return image

    def _draw_background(self) -> np.ndarray:
        import cv2

        image = np.empty((HEIGHT, WIDTH, 3), np.uint8)
        ramp = np.linspace(0, 1, 330)[:, None]
        image[:330] = (np.array([175, 200, 215]) * (1 - 0.25 * ramp))[:, None, :].astype(np.uint8)  # wall
        image[330:] = (95, 110, 120)                                                                   # floor
        cv2.rectangle(image, (40, 120), (150, 330), (70, 90, 110), -1)        # a door
        cv2.rectangle(image, (250, 60), (390, 160), (120, 80, 60), -1)        # a poster
        cv2.putText(image, "SMART CITY", (262, 118), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (230, 230, 230), 2)
        cv2.rectangle(image, (520, 250), (600, 340), (60, 110, 70), -1)       # a plant
        return image

    @staticmethod
    def _draw_car(image: np.ndarray, passing: Car, t: float, cv2) -> None:
        x = passing.x_at(t)
        cv2.rectangle(image, (x, 340), (x + Car.WIDTH, 440), passing.colour, -1)
        cv2.rectangle(image, (x + 50, 300), (x + 230, 345), passing.colour, -1)
        cv2.rectangle(image, (x + 65, 308), (x + 215, 340), (90, 70, 60), -1)        # windows
        for wheel in (x + 60, x + 240):
            cv2.circle(image, (wheel, 440), 26, (25, 25, 25), -1)
        px, py, pw, ph = passing.plate_box(t)
        cv2.rectangle(image, (px, py), (px + pw, py + ph), (235, 235, 235), -1)
        cv2.rectangle(image, (px, py), (px + pw, py + ph), (20, 20, 20), 1)
        cv2.rectangle(image, (px + 1, py + 1), (px + 10, py + ph - 1), (160, 60, 20), -1)
        cv2.putText(image, passing.plate, (px + 12, py + ph - 7), cv2.FONT_HERSHEY_SIMPLEX, 0.75, (10, 10, 10), 2)

    def _draw_person(self, image: np.ndarray, person: Person, cv2) -> None:
        x, y, w, h = person.box
        fx, fy, fw, fh = person.face_box
        body_top = fy + fh
        shoulders = max(w // 5, 4)
        cv2.rectangle(image, (x, body_top + shoulders), (x + w, y + h), person.visitor.shirt, -1)
        cv2.ellipse(image, (x + w // 2, body_top + shoulders), (w // 2, shoulders), 0, 180, 360,
                    person.visitor.shirt, -1)
        cv2.rectangle(image, (fx + fw // 4, body_top - 8), (fx + 3 * fw // 4, body_top + 4), (120, 150, 190), -1)
        if person.looking:
            face = resized_face(person.visitor.face, fw)
            paste(image, face, fx, fy)
        else:   # the back or side of a head: hair, no face for a detector to find
            cv2.ellipse(image, (fx + fw // 2, fy + fh // 2), (fw // 2, fh // 2), 0, 0, 360, (40, 45, 55), -1)

    # ---- the microphone
    def sound(self, start_sample: int, count: int, samplerate: int = 16000) -> np.ndarray:
        """*count* float32 samples of the room from *start_sample*: speech while someone talks, room noise."""
        t = (start_sample + np.arange(count)) / samplerate
        rng = np.random.default_rng([self.seed, 7, start_sample])
        out = rng.normal(0.0, 0.0018, count)                      # room tone, about -55 dBFS
        for v in self.visitors_between(t[0], t[-1] + 1 / samplerate):
            talking = (t >= v.talk_start) & (t < v.talk_end)
            if talking.any():
                out += np.where(talking, voice(t, v), 0.0)
            if v.walking(t[0]):
                out += footsteps(t, v)
            if v.clap_at is not None and t[0] - 0.1 <= v.clap_at <= t[-1]:
                out += clap(t, v.clap_at, rng)
        return out.astype(np.float32)
