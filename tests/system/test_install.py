"""systemd/install.sh: dry run, idempotence and uninstall in a throwaway root with stubbed system
commands (apt, users, systemctl, hostnamectl, the venv); shellcheck clean."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_program

ROOT_DIR = Path(__file__).resolve().parents[2]
SCRIPT = ROOT_DIR / "systemd" / "install.sh"

# Each stub keeps its state under $AK_ROOT/stub and logs its call to $AK_ROOT/stub/calls.
STUBS = {
    "dpkg-query": 'grep -qx "${@: -1}" "$AK_ROOT/stub/packages" 2>/dev/null && echo "install ok installed"',
    "apt-get": 'shift 3; for p in "$@"; do echo "$p" >> "$AK_ROOT/stub/packages"; done',
    "getent": 'grep -q "^$2:" "$AK_ROOT/stub/passwd" 2>/dev/null && grep "^$2:" "$AK_ROOT/stub/passwd"',
    "useradd": 'echo "${@: -1}:" >> "$AK_ROOT/stub/passwd"',
    "usermod": 'echo "$2" >> "$AK_ROOT/stub/groups"',
    "userdel": 'sed -i "/^$1:/d" "$AK_ROOT/stub/passwd"',
    "id": 'if [ "$1" = -nG ]; then cat "$AK_ROOT/stub/groups" 2>/dev/null | tr "\\n" " ";'
          ' else exec /usr/bin/id "$@"; fi',
    "python3": 'venv="${@: -1}"; mkdir -p "$venv/bin"; printf "#!/bin/sh\\n" > "$venv/bin/python";'
               ' printf "#!/bin/sh\\necho pip \\"\\$@\\" >> \\"$AK_ROOT/stub/calls\\"\\n" > "$venv/bin/pip";'
               ' chmod +x "$venv/bin/python" "$venv/bin/pip"',
    "systemctl": 'case "$*" in'
                 ' *is-enabled*) [ -f "$AK_ROOT/stub/enabled-${@: -1}" ];;'
                 ' *disable*) rm -f "$AK_ROOT/stub/enabled-${@: -1}";;'
                 ' *enable*) touch "$AK_ROOT/stub/enabled-${@: -1}";;'
                 ' esac',
    "hostnamectl": 'echo "$2" > "$AK_ROOT/etc/hostname"',
    "nmcli": 'true',
}


@pytest.fixture
def throwaway(tmp_path):
    root = tmp_path / "root"
    (root / "stub").mkdir(parents=True)
    (root / "etc").mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in STUBS.items():
        stub = bin_dir / name
        stub.write_text(f'#!/bin/bash\necho "{name} $*" >> "$AK_ROOT/stub/calls"\n{body}\n')
        stub.chmod(0o755)
    env = {**os.environ, "AK_ROOT": str(root), "PATH": f"{bin_dir}:{os.environ['PATH']}"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)

    return root, run


def tree(root: Path) -> dict[str, str]:
    """Every file under root (the stub's call log aside) with a digest of its content."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "calls"}


def test_a_dry_run_says_every_step_and_changes_nothing(throwaway):
    root, run = throwaway
    before = tree(root)
    result = run("--dry-run")
    assert result.returncode == 0, result.stderr
    for step in ("apt-get install", "python3-picamera2", "create system user awareness-kit", "group gpio",
                 "create /opt/awareness-kit/venv", "install the kit", "/etc/awareness-kit/config.toml",
                 "/etc/systemd/system/awareness-kit.service", "enable and start awareness-kit.service",
                 "hostname"):
        assert step in result.stdout, step
    assert result.stdout.rstrip().endswith("dry run: nothing was changed")
    assert tree(root) == before


def test_install_twice_the_second_run_changes_nothing(throwaway):
    root, run = throwaway
    first = run("--hotspot", "kit-wifi", "secret123")
    assert first.returncode == 0, first.stderr
    assert (root / "etc/systemd/system/awareness-kit.service").read_text() == \
        (ROOT_DIR / "systemd/awareness-kit.service").read_text()
    assert (root / "etc/awareness-kit/config.toml").exists() and (root / "opt/awareness-kit/installed-from").exists()
    hotspot = root / "etc/NetworkManager/system-connections/awareness-kit-hotspot.nmconnection"
    assert "ssid=kit-wifi" in hotspot.read_text() and oct(hotspot.stat().st_mode & 0o777) == "0o600"
    calls = (root / "stub/calls").read_text()
    (pip,) = [line for line in calls.splitlines() if line.startswith("pip install")]
    assert "--no-deps sounddevice" in pip and "numpy" not in pip and "opencv" not in pip, "apt's builds stay"
    (root / "etc/awareness-kit/config.toml").write_text("[camera]\nfps = 10\n")     # a curator's edit
    before, calls_before = tree(root), (root / "stub/calls").read_text()
    second = run("--hotspot", "kit-wifi", "secret123")
    assert second.returncode == 0, second.stderr
    assert "doing:" not in second.stdout and "nothing to change" in second.stdout
    assert tree(root) == before, "the second run changed a file"
    new_calls = (root / "stub/calls").read_text()[len(calls_before):]
    changing = ("apt-get", "useradd", "usermod", "pip install", "systemctl enable", "systemctl --global enable",
                "systemctl daemon-reload", "hostnamectl", "nmcli")
    assert not [line for line in new_calls.splitlines() if line.startswith(changing)]
    assert (root / "etc/awareness-kit/config.toml").read_text() == "[camera]\nfps = 10\n", "config kept"


def test_uninstall_keeps_the_data_unless_asked(throwaway):
    root, run = throwaway
    assert run().returncode == 0
    (root / "var/lib/awareness-kit/awareness.db").write_text("data")
    result = run("--uninstall")
    assert result.returncode == 0, result.stderr
    assert "kept:  /var/lib/awareness-kit" in result.stdout
    assert not (root / "opt/awareness-kit").exists() and not (root / "etc/awareness-kit").exists()
    assert not (root / "etc/systemd/system/awareness-kit.service").exists()
    assert (root / "var/lib/awareness-kit/awareness.db").exists()
    assert run("--uninstall", "--purge").returncode == 0 and not (root / "var/lib/awareness-kit").exists()


def test_bad_options_are_refused_with_a_reason(throwaway):
    _, run = throwaway
    result = run("--hotspot", "kit", "short")
    assert result.returncode == 2 and "at least 8 characters" in result.stderr
    assert run("--frobnicate").returncode == 2


def test_the_scripts_are_shellcheck_clean():
    shellcheck = require_program("shellcheck")
    scripts = [SCRIPT, ROOT_DIR / "tools" / "system-deps.sh", ROOT_DIR / ".ci" / "run"]
    result = subprocess.run([shellcheck, *map(str, scripts)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
