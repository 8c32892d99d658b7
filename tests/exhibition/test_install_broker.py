"""systemd/install.sh --broker: Mosquitto refusing anonymous clients, a user and password per kit (hashed for the
broker, kept for root only), an ACL by which a kit writes only under its own topics; a second run changes nothing."""

from __future__ import annotations

import os

from tests.conftest import require_program
from tests.system.test_install import throwaway  # noqa: F401 (the fixture)


def test_a_dry_run_says_the_brokers_steps(throwaway):  # noqa: F811
    root, run = throwaway
    result = run("--dry-run", "--broker", "hall,cafe")
    assert result.returncode == 0, result.stderr
    for step in ("apt-get install mosquitto", "/etc/mosquitto/awareness-kit.acl",
                 "/etc/mosquitto/conf.d/awareness-kit.conf",
                 "broker user and password for hall", "broker user and password for cafe", "restart mosquitto"):
        assert step in result.stdout, step
    assert not (root / "etc/mosquitto").exists()


def test_the_broker_is_set_up_once_with_a_user_and_an_acl_per_kit(throwaway, tmp_path):  # noqa: F811
    require_program("mosquitto_passwd")
    root, run = throwaway
    chown = tmp_path / "bin" / "chown"                  # the throwaway root has no mosquitto group
    chown.write_text('#!/bin/bash\necho "chown $*" >> "$AK_ROOT/stub/calls"\n')
    chown.chmod(0o755)
    first = run("--broker", "hall,cafe")
    assert first.returncode == 0, first.stderr
    conf = (root / "etc/mosquitto/conf.d/awareness-kit.conf").read_text()
    assert "allow_anonymous false" in conf and "password_file /etc/mosquitto/awareness-kit.passwd" in conf
    acl = (root / "etc/mosquitto/awareness-kit.acl").read_text()
    assert "user hall\ntopic read awareness-kit/#\ntopic write awareness-kit/hall/#\n" in acl
    assert "topic write awareness-kit/cafe/#" in acl and "topic write awareness-kit/#" not in acl
    kept = dict(line.split(":", 1) for line in (root / "etc/awareness-kit/broker-passwords").read_text().split())
    assert set(kept) == {"hall", "cafe", "homeassistant"}
    assert oct(os.stat(root / "etc/awareness-kit/broker-passwords").st_mode & 0o777) == "0o600"
    hashed = (root / "etc/mosquitto/awareness-kit.passwd").read_text()
    assert {line.split(":")[0] for line in hashed.split()} == set(kept)
    assert not any(password in hashed for password in kept.values()), "the broker keeps hashes only"
    assert kept["hall"] not in first.stdout
    second = run("--broker", "hall,cafe")
    assert second.returncode == 0 and "nothing to change" in second.stdout, second.stdout
    assert run("--broker", "Hall").returncode == 2
