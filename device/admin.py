"""The admin PIN: generated at first start, kept only as a salted hash under the data directory.

    pins = AdminPin(data_dir)
    new = pins.ensure()          # "483920" the first time (print it), then None: only the hash is kept
    pins.verify("483920")        # True
    pins.generation()            # (1, 1764187200.5): changes at every reset, in this process or another
    pins.reset()                 # a new PIN, and a new generation: every admin session ends

The web layer keeps admin sessions on the server and ends them all when the generation changes, so
`awareness-kit admin reset-pin`, run while the kit is running, logs every admin out. Noticing costs one
stat() of admin.json per admin request: the file is read again only when it was replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any

FILE = "admin.json"
ITERATIONS = 100_000      # about 0.1 s here, 0.4 s on a Pi 4: slow to guess, quick to type

Generation = tuple[int, float]      # (how many PINs this data directory has had, when this one was made)


class AdminPin:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILE
        self._shown: str | None = None            # the PIN in clear, only in the run that made it
        self._shown_generation: Generation | None = None
        self._seen: tuple[tuple[int, ...], Generation | None] | None = None    # (admin.json's stat, its generation)
        self._lock = threading.Lock()

    def _read(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return None

    def ensure(self) -> str | None:
        """Make a PIN if there is none; return it in clear only when it was just made."""
        if self._read() is not None:
            return None
        return self.reset()

    def reset(self) -> str:
        """A new PIN, in a new generation (the sessions of the old one end); the PIN in clear is returned, and
        kept in memory for this run only (see shown)."""
        try:
            before = self._read() or {}
        except ValueError:          # a damaged file: reset is how it is mended
            before = {}
        pin = f"{secrets.randbelow(10**6):06d}"
        salt = secrets.token_bytes(16)
        record = {"salt": salt.hex(), "hash": _hash(pin, salt).hex(), "iterations": ITERATIONS,
                  "session_key": secrets.token_hex(32), "created": time.time(),
                  "generation": int(before.get("generation", 0)) + 1}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(record, out)
        temporary.replace(self.path)        # a new file (a new inode): a running kit's stat() sees the change
        with self._lock:
            self._shown, self._shown_generation = pin, _generation(record)
        return pin

    def verify(self, pin: str) -> bool:
        record = self._read()
        if record is None or not pin.isdigit() or len(pin) > 12:
            return False
        actual = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(record["salt"]), record["iterations"])
        return hmac.compare_digest(actual.hex(), record["hash"])

    def generation(self) -> Generation | None:
        """What tells this PIN from the one before: it changes at every reset, made by this process or by
        `awareness-kit admin reset-pin` in another (None: no PIN, or admin.json unreadable).

        Cheap enough for every admin request: one stat(); the file is read again only when it was replaced.
        """
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        signature = (stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size)
        with self._lock:
            if self._seen is not None and self._seen[0] == signature:
                return self._seen[1]
        try:
            record = self._read()
            generation = _generation(record) if record else None
        except (OSError, ValueError, KeyError, TypeError):
            generation = None
        with self._lock:
            self._seen = (signature, generation)
        return generation

    @property
    def shown(self) -> str | None:
        """The PIN in clear if this run made it and it is still the PIN; after a reset in another process this
        run no longer knows it (the new one is printed by the command that made it, and nowhere else)."""
        generation = self.generation()
        with self._lock:
            if self._shown is not None and generation != self._shown_generation:
                self._shown = self._shown_generation = None
            return self._shown

    def session_key(self) -> str:
        record = self._read()
        if record is None:
            self.ensure()
            record = self._read()
        return record["session_key"]  # type: ignore[index]

    @property
    def created(self) -> float | None:
        record = self._read()
        return record["created"] if record else None


def _generation(record: dict[str, Any]) -> Generation:
    # The count alone would repeat if admin.json were deleted and made again; the time it was made does not.
    return int(record.get("generation", 0)), float(record["created"])


def _hash(pin: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, ITERATIONS)
