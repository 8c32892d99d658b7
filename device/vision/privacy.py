"""What viewers see: faces pixelated (on by default), plates pixelated and their text masked with them, and
what the kit inferred drawn over the picture.

render_view() runs once per frame and per view (public, or the kiosk's clear view), whatever the number
of viewers: the result is one JPEG that every viewer of that view shares.
"""

from __future__ import annotations

import cv2
import numpy as np

from device.vision.pipeline import Detections

FACE_COLOUR = (80, 220, 80)
LOOKING_COLOUR = (60, 200, 255)
MOTION_COLOUR = (0, 170, 255)
TRACK_COLOUR = (255, 160, 60)
PLATE_COLOUR = (200, 80, 255)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def blur_faces(image: np.ndarray, faces: list[tuple[int, int, int, int]], blocks: int = 8) -> None:
    """Pixelate each face in place into blocks x blocks squares: cheap, and it cannot be sharpened back."""
    height, width = image.shape[:2]
    for x, y, w, h in faces:
        x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        region = image[y0:y1, x0:x1]
        tiny = cv2.resize(region, (blocks, blocks), interpolation=cv2.INTER_AREA)
        image[y0:y1, x0:x1] = cv2.resize(tiny, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)


def mask_plate(text: str) -> str:
    """A plate as a blurred view shows it: its first character, the rest hidden ("L** ****")."""
    return "".join(c if i == 0 or c == " " else "*" for i, c in enumerate(text))


def _label(image: np.ndarray, text: str, x: int, y: int, colour: tuple[int, int, int]) -> None:
    (w, h), _ = cv2.getTextSize(text, FONT, 0.5, 1)
    y = max(h + 4, y)
    cv2.rectangle(image, (x, y - h - 4), (x + w + 4, y + 2), (0, 0, 0), -1)
    cv2.putText(image, text, (x + 2, y - 2), FONT, 0.5, colour, 1, cv2.LINE_AA)


def render_view(image: np.ndarray, detections: Detections, *, blur: bool, blocks: int = 8,
                quality: int = 70) -> bytes:
    """One JPEG of the frame with what the kit inferred drawn on it."""
    view = image.copy()
    if blur:
        blur_faces(view, detections.faces, blocks)
    height = view.shape[0]
    if detections.line_x is not None:
        cv2.line(view, (detections.line_x, 0), (detections.line_x, height), (200, 200, 200), 1)
    for x, y, w, h in detections.motion:
        cv2.rectangle(view, (x, y), (x + w, y + h), MOTION_COLOUR, 1)
    for person in detections.people:
        if person.hidden:
            continue
        if len(person.trail) > 1:
            cv2.polylines(view, [np.array(person.trail, np.int32)], False, TRACK_COLOUR, 2)
        x, y, w, h = person.box
        cv2.rectangle(view, (x, y), (x + w, y + h), TRACK_COLOUR, 2)
        text = f"#{person.id} {person.dwell_s:.0f}s" if person.id else "new"
        if person.reid:
            text += f" seen before ({person.reid[1]:.0%})"
        _label(view, text, x, y - 4, TRACK_COLOUR)
        if person.looking:
            _label(view, "looking" + (", smiling" if person.smiling else ""), x, y + h + 16, LOOKING_COLOUR)
    for x, y, w, h in detections.faces:
        cv2.rectangle(view, (x, y), (x + w, y + h), FACE_COLOUR, 2)
    if blur:
        blur_faces(view, detections.plates, blocks)
    for x, y, w, h in detections.plates:
        cv2.rectangle(view, (x, y), (x + w, y + h), PLATE_COLOUR, 2)
        _label(view, "plate", x, y - 4, PLATE_COLOUR)
    for (x, y, _, h), text in detections.plate_texts:
        _label(view, mask_plate(text) if blur else text, x, y + h + 16, PLATE_COLOUR)
    ok, jpeg = cv2.imencode(".jpg", view, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return jpeg.tobytes()
