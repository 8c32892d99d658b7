"""What viewers see: faces blurred (on by default) and boxes drawn round what the kit detected, then JPEG."""

from __future__ import annotations

import cv2
import numpy as np

from device.vision.pipeline import Detections

FACE_COLOUR = (80, 220, 80)
MOTION_COLOUR = (0, 200, 255)


def blur_faces(image: np.ndarray, faces: list[tuple[int, int, int, int]]) -> None:
    """Pixelate each face in place: cheap, and unlike a light blur it cannot be undone by sharpening."""
    height, width = image.shape[:2]
    for x, y, w, h in faces:
        x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        region = image[y0:y1, x0:x1]
        tiny = cv2.resize(region, (6, 6), interpolation=cv2.INTER_AREA)
        image[y0:y1, x0:x1] = cv2.resize(tiny, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)


def render_view(image: np.ndarray, detections: Detections, *, blur: bool, quality: int = 70) -> bytes:
    """One JPEG of the frame with overlays; called once per frame, whatever the number of viewers."""
    view = image.copy()
    if blur:
        blur_faces(view, detections.faces)
    for x, y, w, h in detections.motion:
        cv2.rectangle(view, (x, y), (x + w, y + h), MOTION_COLOUR, 1)
    for x, y, w, h in detections.faces:
        cv2.rectangle(view, (x, y), (x + w, y + h), FACE_COLOUR, 2)
        cv2.putText(view, "face", (x, max(12, y - 5)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, FACE_COLOUR, 1,
                    cv2.LINE_AA)
    ok, jpeg = cv2.imencode(".jpg", view, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return jpeg.tobytes()
