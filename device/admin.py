"""The admin PIN: generated at first start, kept only as a salted hash under the data directory.

    pins = AdminPin(data_dir)
    new = pins.ensure()          # "483920" the first time (print it), then None: only the hash is kept
    pins.verify("483920")        # True
    pins.reset()                 # a new PIN; sessions signed with the old key stop working

The file also holds the key that signs admin sessions, so a reset logs every admin out.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

FILE = "admin.json"
ITERATIONS = 100_000      # about 0.1 s here, 0.4 s on a Pi 4: slow to guess, quick to type


class AdminPin:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILE
        self.shown: str | None = None     # the PIN in clear, only in the run that made it (for the kiosk)

    def _read(self) -> dict | None:
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
        pin = f"{secrets.randbelow(10**6):06d}"
        salt = secrets.token_bytes(16)
        record = {"salt": salt.hex(), "hash": _hash(pin, salt).hex(), "iterations": ITERATIONS,
                  "session_key": secrets.token_hex(32), "created": time.time()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(record, out)
        temporary.replace(self.path)
        self.shown = pin
        return pin

    def verify(self, pin: str) -> bool:
        record = self._read()
        if record is None or not pin.isdigit() or len(pin) > 12:
            return False
        actual = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(record["salt"]), record["iterations"])
        return hmac.compare_digest(actual.hex(), record["hash"])

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


def _hash(pin: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, ITERATIONS)
