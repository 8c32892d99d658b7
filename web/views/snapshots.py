"""The snapshots' pictures: GET /snapshots/<id>.jpg, the file a row of the snapshots table lists, as it may be
shown to whoever asks. /data shows them, and /you the picture of the person it guessed is holding the phone.

    url_for("snapshots.picture", id=row["id"])      # "/snapshots/12.jpg": a stable address, keep it so

Only files the table lists are served (no path comes from the request), and only from <data dir>/snapshots.
A phone never sees a clear face unless an administrator allows it: a picture stored unblurred is blurred
whole, strongly, for every viewer but the device's own screen while blur_public is on (the face's box is not
stored with the picture, so the whole picture is blurred: nothing of a face can be left clear by a miss).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, request

from web.clients import is_local

logger = logging.getLogger(__name__)

bp = Blueprint("snapshots", __name__)

FOLDER = "snapshots"        # under the data directory, as device/services/snapshots.py keeps them
BLUR_CELLS = 8              # the blurred picture keeps this many cells across its shorter side: no face survives
MAX_ID = 2**63 - 1           # SQLite's largest integer: a larger id is no row (and would not fit the query)
MAX_BYTES = 8 << 20         # a snapshot is a person's crop, tens of KB: anything far larger is not one


@bp.get("/snapshots/<int:id>.jpg")
def picture(id: int) -> Response:
    """The picture of row *id* of the snapshots table (its id column), as this viewer may see it: blurred for a
    phone when it was stored clear and blur_public is on. /data and /you link here: keep the address stable.

    Cached privately and revalidated each time (ETag): an administrator may turn blurring on again, so a browser
    must not keep showing an old answer (ids never come back: schema 3)."""
    kit = current_app.extensions["kit"]
    row = kit.store.snapshot(id) if id <= MAX_ID else None
    if row is None:
        abort(404, f"no snapshot {id}: the snapshots table has no such row (erased, pruned, or never taken)")
    unreadable = f"the picture of snapshot {id} cannot be shown: it is not a snapshot file the kit can read"
    path = stored_file(kit.store.data_dir, row["file"])
    if path is None:
        logger.warning("snapshot %s names %r, not a picture under %s/: not served", id, row["file"][:80], FOLDER)
        abort(404, unreadable)
    try:
        with open(path, "rb") as fh:
            jpeg = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        abort(404, f"the picture of snapshot {id} is gone from the disk (erased or pruned)")
    except OSError as exc:
        logger.warning("snapshot %s: cannot read %s: %s", id, path, exc)
        abort(404, unreadable)
    if len(jpeg) > MAX_BYTES:
        logger.warning("snapshot %s: %s is over %d bytes, not a snapshot: not served", id, path, MAX_BYTES)
        abort(404, unreadable)
    blur = not row["blurred"] and kit.privacy.blur("kiosk" if is_local() else "public")
    if blur:
        try:
            jpeg = blurred(jpeg)
        except ValueError as exc:       # never the clear file instead
            logger.warning("snapshot %s: cannot blur %s (%s): not shown to phones", id, path, exc)
            abort(404, f"the picture of snapshot {id} cannot be blurred, so it is not shown to phones")
    response = Response(jpeg, mimetype="image/jpeg")
    response.set_etag(hashlib.sha256(b"%d:%s:%d:" % (id, row["file"].encode(), blur) + jpeg).hexdigest()[:32])
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response.make_conditional(request)


def stored_file(data_dir: Path, name: Any) -> Path | None:
    """The file a snapshots row names, if it is a .jpg directly in <data dir>/snapshots (symbolic links
    resolved: one pointing elsewhere is refused); else None."""
    if not isinstance(name, str) or not name.endswith(".jpg"):
        return None
    folder = (data_dir / FOLDER).resolve()
    path = (data_dir / name).resolve()
    return path if path.parent == folder else None


@functools.lru_cache(maxsize=64)
def blurred(jpeg: bytes) -> bytes:
    """The picture blurred whole, made once for the last 64 pictures (a phone's /data shows up to 32, and asks
    again for each on every visit): shrunk to BLUR_CELLS across its shorter side, then smoothed back to its size
    (what is gone cannot be sharpened back). ValueError when it cannot be read or OpenCV is missing."""
    try:
        import cv2
        import numpy as np
    except ImportError as exc:
        raise ValueError("OpenCV is not installed") from exc
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("it is not a JPEG the kit can read")
    height, width = image.shape[:2]
    scale = BLUR_CELLS / min(height, width)
    small = cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))),
                       interpolation=cv2.INTER_AREA)
    smooth = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    smooth = cv2.GaussianBlur(smooth, (0, 0), max(1.0, min(height, width) / BLUR_CELLS / 2))
    ok, out = cv2.imencode(".jpg", smooth, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return out.tobytes()


def jpeg_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a JPEG's header (its start-of-frame marker), read without decoding; None if unknown."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError:
        return None
    if head[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 9 < len(head):
        if head[at] != 0xFF:
            return None
        marker = head[at + 1]
        if marker == 0xFF:          # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:    # markers without a length
            at += 2
            continue
        length = int.from_bytes(head[at + 2:at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(head[at + 5:at + 7], "big")
            width = int.from_bytes(head[at + 7:at + 9], "big")
            return (width, height) if width and height else None
        if length < 2:
            return None
        at += 2 + length
    return None
