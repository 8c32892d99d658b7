"""Snapshots: one picture of each newly seen person, faces blurred unless configured otherwise, kept as a
file under <data dir>/snapshots and listed in the snapshots table.

    snapshots = Snapshots(config, publish=hub.publish)
    store.route("snapshot", snapshots.stored)      # the snapshots table row goes with the observation
    snapshots.save("track:7", image, face_box, ts)  # the vision pipeline calls this
    snapshots.erase_all()                           # -> how many files went
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from device.config import Config
from device.observations import Observation
from device.store import SideRow

logger = logging.getLogger(__name__)


class Snapshots:
    def __init__(self, config: Config, *, publish: Callable[[Observation], None]) -> None:
        self.folder = config.data_dir / "snapshots"
        self.blur = config.vision.blur_faces
        self.blocks = config.vision.blur_strength
        self._publish = publish

    def save(self, subject: str, image: Any, face: tuple[int, int, int, int], ts: float) -> None:
        """Keep one picture of *subject*; *image* may be changed (blurred) in place."""
        import cv2

        from device.vision.privacy import blur_faces

        if self.blur:
            blur_faces(image, [face], self.blocks)
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
        if not ok:
            logger.warning("snapshot of %s: JPEG encoding failed; not kept", subject)
            return
        self.folder.mkdir(exist_ok=True)
        name = f"{subject.replace(':', '-')}-{int(ts * 1000)}.jpg"
        (self.folder / name).write_bytes(jpeg.tobytes())
        self._publish(Observation(ts, "camera", "snapshot", subject, {
            "file": f"snapshots/{name}", "blurred": self.blur}))

    @staticmethod
    def stored(obs: Observation) -> tuple[dict[str, Any], list[SideRow]]:
        """The store's route for "snapshot": the observation, and its row in the snapshots table."""
        value = obs.value
        return value, [SideRow("snapshots", {"ts": obs.ts, "subject": obs.subject, "file": value["file"],
                                             "blurred": int(bool(value.get("blurred")))})]

    def erase_all(self) -> int:
        """Delete every snapshot file (their rows go with the store's); returns how many."""
        files = list(self.folder.glob("*.jpg"))
        for path in files:
            path.unlink(missing_ok=True)
        return len(files)
