"""Forgetting: "forget everything" (the admin page, the button) and "forget me" (a visitor's phone) reach
every part that remembers: the store's rows, the files, the tracker's signatures, the words heard.

    forgetting = Forgetting(store, visitors=visitors, files=[snapshots.erase_all, ...], signatures=watching,
                            restart=hub.restart)     # the kit's figures "so far" count from zero again
    forgetting.everything()        # {"at": .., "observations": {..}, "files": 3, "total": 120}; person #1 next
    forgetting.me("visitor:3f..")  # {"visitors": 1, "person": 12, "signatures in memory": 1}
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from device.files import load_json, save_json
from device.services.visitors import Visitors
from device.store import Store

logger = logging.getLogger(__name__)

LAST_WIPE = "last-wipe.json"        # in the data directory: when everything was last forgotten, and how much


class Forgetting:
    def __init__(self, store: Store, *, visitors: Visitors, files: list[Callable[[], int]],
                 signatures: Any, restart: Callable[[], None] = lambda: None, numbers: bool = True) -> None:
        """*files*: each erases the files one part keeps and returns how many; *signatures*: the vision service
        (forget(id) for one person; paused() and restart() for everything); *restart*: after forgetting
        everything, the figures counted so far start again; *numbers*: people are numbered from 1 again then
        (not in an exhibition, whose other kits still know this kit's earlier people by their numbers)."""
        self.store = store
        self.visitors = visitors
        self.files = files
        self.signatures = signatures
        self.restart = restart
        self.numbers = numbers
        self.path = store.data_dir / LAST_WIPE
        self.last: dict[str, Any] | None = _read_last(self.path)     # "wiped at …" outlives a restart

    def everything(self) -> dict[str, Any]:
        """Delete every observation, file and remembered appearance, and follow nobody: the people in view
        now are new people, numbered from 1; the figures counted so far start again. Says what was deleted
        and when. The vision thread waits between two frames meanwhile, so that nothing it publishes later
        names a track of before (a new person #3 would otherwise share the rows of an old #3)."""
        with self.signatures.paused():
            counts = self.store.forget_all()        # unlinks the snapshot files its rows name, too
            files = counts.get("snapshots", 0) + sum(erase() for erase in self.files)
            self.signatures.restart(numbers=self.numbers)
        self.restart()
        self.store.vacuum_later()       # gives the space back to the file system, holding nobody up
        self.last = {"at": time.time(), "observations": counts, "files": files,
                     "total": sum(counts.values()) + files}
        try:
            save_json(self.path, self.last)
        except OSError as exc:      # the wipe is done all the same; only its time is not kept past a restart
            logger.warning("forgot everything, but could not note when in %s: %s", self.path, exc)
        logger.warning("forgot everything: %d observations and %d files deleted", sum(counts.values()), files)
        return self.last

    def me(self, visitor: str) -> dict[str, int]:
        """Everything about one visitor: their visits, what their phone revealed, their guesses and answers,
        and the tracks they confirmed are them, with those tracks' observations, trajectories, signatures and
        snapshots. A guess they did not answer, or said was someone else, is not theirs to erase."""
        self.store.flush(2)             # an answer given just now counts
        tracks = self.visitors.linked(visitor)
        counts = self.store.forget_subjects({visitor} | tracks)
        for subject in tracks:
            dropped = self.signatures.forget(int(subject.split(":", 1)[1]))
            if dropped:
                counts["signatures in memory"] = counts.get("signatures in memory", 0) + dropped
        logger.info("forgot %s and the tracks they confirmed (%d): %s", visitor, len(tracks), counts)
        return counts


def _read_last(path: Path) -> dict[str, Any] | None:
    """The last wipe noted in *path*; None when there is none, or the file is damaged (said in the log)."""
    last = load_json(path, "the last wipe's time is not shown")
    if last is None:
        return None
    if not (isinstance(last, dict) and isinstance(last.get("at"), int | float) and math.isfinite(last["at"])
            and isinstance(last.get("total"), int)):
        logger.warning("%s is not a wipe's record: the last wipe's time is not shown", path)
        return None
    return last
