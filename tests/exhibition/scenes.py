"""The people each room of the simulated exhibition sees, published on a kit's hub as its vision pipeline
publishes them: "new" when they arrive, "left" with their signature (clothes, face pattern) when they go.
The signatures are computed from the scene's own frames by the kit's own signature code."""

from __future__ import annotations

import time

import cv2

from device.exhibition.people import signature_json
from device.observations import Observation
from device.scene import Scene
from device.vision.signature import Signature, clothes_histogram, face_vector


def signature(scene: Scene, visitor) -> Signature:
    """What the tracker would have learnt of *visitor* in this room: clothes, and their face while looking."""
    standing = (visitor.arrive + visitor.leave) / 2
    looking = (visitor.look_start + visitor.look_end) / 2
    clothes = face = None
    for t, want_face in ((standing, False), (looking, True)):
        people = [p for p in scene.people(t) if p.visitor.number == visitor.number]
        if not people:
            continue
        image = scene.render(t)
        if clothes is None:
            clothes = clothes_histogram(image, people[0].box)
        if want_face and people[0].looking:
            face = face_vector(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), people[0].face_box)
    return Signature(clothes=clothes, face=face)


def track_of(room: int, visitor) -> str:
    return f"track:{100 * (room + 1) + visitor.number}"


def play(kit, room: int, numbers: list[int], *, base: float | None = None, seed: int = 1,
         rooms: int = 3, stamp: dict | None = None) -> dict[int, str]:
    """Publish on *kit*'s hub the visits *numbers* as room *room* sees them; returns visitor number -> track.
    *stamp*: gets, for each track, when its "left" observation was published (time.time())."""
    scene = Scene(seed, room=room, rooms=rooms)
    base = time.time() - 300 if base is None else base
    tracks = {}
    for visitor in scene.visitors_between(0, 400 + 16 * max(numbers)):
        if visitor.number not in numbers:
            continue
        subject = track_of(room, visitor)
        tracks[visitor.number] = subject
        ident = int(subject.split(":")[1])
        kit.observations.publish(Observation(base + visitor.arrive, "camera", "person", subject, {
            "id": ident, "box": [0, 0, 10, 10], "dwell_s": 0.0, "state": "new"}, 0.6))
        left = Observation(base + visitor.leave, "camera", "person", subject, {
            "id": ident, "box": [0, 0, 10, 10], "dwell_s": round(visitor.leave - visitor.arrive, 1), "state": "left",
            "signature": signature_json(signature(scene, visitor))}, 0.6)
        if stamp is not None:
            stamp[subject] = time.time()
        kit.observations.publish(left)
    return tracks
