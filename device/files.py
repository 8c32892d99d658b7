"""Small files the kit keeps beside its database (settings.json, last-wipe.json), written whole or not at all."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any


def save_json(path: Path, data: Any) -> None:
    """Write *data* to *path* whole or not at all (a new file, synced, then renamed over), mode 0600."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
