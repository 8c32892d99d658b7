"""A picture's address never names another person: after "forget everything" the next snapshot gets a new id,
and the old /snapshots/<id>.jpg (in a saved /you page, a cached /data, a shared link) answers 404."""

from __future__ import annotations

import cv2
import numpy as np

from device.observations import Observation


def keep_snapshot(kit, name: str, subject: str) -> int:
    """A snapshot file and its row, as the kit keeps them; returns the row's id."""
    folder = kit.config.data_dir / "snapshots"
    folder.mkdir(exist_ok=True)
    picture = np.full((40, 30, 3), 128 if subject.endswith("1") else 32, np.uint8)
    (folder / name).write_bytes(cv2.imencode(".jpg", picture)[1].tobytes())
    kit.observations.publish(Observation(1000.0, "camera", "snapshot", subject,
                                         {"file": f"snapshots/{name}", "blurred": True}))
    assert kit.store.flush(5)
    return next(r["id"] for r in kit.store.side_rows("snapshots", limit=1000)[1] if r["file"] == f"snapshots/{name}")


def test_after_forgetting_everything_an_old_picture_address_is_a_404_not_the_next_person(client, kit):
    before = keep_snapshot(kit, "track-1-1000000.jpg", "track:1")
    first = client.get(f"/snapshots/{before}.jpg")
    assert first.status_code == 200
    kit.forgetting.everything()
    after = keep_snapshot(kit, "track-2-1000000.jpg", "track:2")
    assert after > before, "a new person's picture under a new address"
    old = client.get(f"/snapshots/{before}.jpg", headers={"If-None-Match": first.headers["ETag"]})
    assert old.status_code == 404 and f"no snapshot {before}" in old.get_data(as_text=True)
    new = client.get(f"/snapshots/{after}.jpg")
    assert new.status_code == 200 and new.data != first.data
