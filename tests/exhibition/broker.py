"""A real Mosquitto for the exhibition's tests and bench: a free loopback port, a password per kit (hashed by
mosquitto_passwd), and the ACL that systemd/install.sh --broker writes: a kit reads every kit's topics and
writes only under its own.

    with Mosquitto(tmp_path, ["hall", "cafe"]) as broker:
        broker.url("hall")          # mqtt://hall:<password>@127.0.0.1:<port>
        broker.kill(); broker.start()
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path


def acl(kits: list[str]) -> str:
    """One block per kit (user = kit name): it reads every kit's topics, writes only under its own."""
    blocks = [f"user {kit}\ntopic read awareness-kit/#\ntopic write awareness-kit/{kit}/#\n"
              f"topic write homeassistant/+/{kit}/#\n" for kit in kits]
    return "".join(blocks) + "user observer\ntopic read #\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def programs() -> tuple[str | None, str | None]:
    def find(name: str) -> str | None:
        return shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}")
                                           if os.path.exists(p)), None)
    return find("mosquitto"), find("mosquitto_passwd")


class Mosquitto:
    def __init__(self, folder: Path, users: list[str], *, port: int | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.passwords = {user: secrets.token_hex(8) for user in [*users, "observer"]}
        self.process: subprocess.Popen | None = None
        self.mosquitto, passwd = programs()
        if self.mosquitto is None or passwd is None:
            raise FileNotFoundError("mosquitto is not installed")
        self.password_file = self.folder / "passwords"
        self.password_file.write_text("".join(f"{u}:{p}\n" for u, p in self.passwords.items()))
        os.chmod(self.password_file, 0o600)
        subprocess.run([passwd, "-U", str(self.password_file)], check=True, capture_output=True)
        (self.folder / "acl").write_text(acl(users))
        (self.folder / "data").mkdir(exist_ok=True)
        self.config = self.folder / "mosquitto.conf"
        self.config.write_text(f"""listener {self.port} 127.0.0.1
allow_anonymous false
password_file {self.password_file}
acl_file {self.folder / 'acl'}
persistence true
persistence_location {self.folder / 'data'}/
autosave_interval 1
log_dest file {self.folder / 'mosquitto.log'}
log_type error
log_type warning
log_type notice
{"user root" if os.geteuid() == 0 else ""}
""")

    def url(self, user: str, password: str | None = None) -> str:
        return f"mqtt://{user}:{password or self.passwords[user]}@127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> Mosquitto:
        self.process = subprocess.Popen([self.mosquitto, "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited ({self.process.returncode}): {self.log()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on {self.port}: {self.log()[-2000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(5)
        self.process = None

    def log(self) -> str:
        path = self.folder / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> Mosquitto:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill(signal.SIGTERM)
