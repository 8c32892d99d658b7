"""Small files the kit keeps beside its database (settings.json, last-wipe.json), written whole or not at all."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def load_json(path: Path, unread: str) -> Any | None:
    """*path*'s JSON; None when there is no file, or when it cannot be read or parsed (a warning names the file and
    says what follows: *unread*, e.g. "using the config's defaults")."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:        # unreadable, not UTF-8, not JSON
        logger.warning("%s cannot be read (%s): %s", path, exc, unread)
        return None


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
