import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import ExitStack, closing, contextmanager, suppress
from pathlib import Path

import pytest

from device.cli import build_parser, config_from_args, main
from device.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_help_explains_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    for flag in ("--config", "--camera", "--mic", "--sensors", "--host", "--port", "--data-dir", "--seed"):
        assert flag in text
    assert "auto" in text and "simulated" in text and "opencv:N" in text


def test_the_readme_documents_every_run_flag():
    readme = (ROOT / "README.md").read_text()
    run = build_parser()._subparsers._group_actions[0].choices["run"]
    for action in run._actions:
        long = [o for o in action.option_strings if o.startswith("--") and o not in ("--help", "--verbose")]
        for option in long:
            assert f"`{option}`" in readme or f"{option} " in readme, f"README does not mention {option}"


def test_flags_override_the_config_and_are_checked():
    args = build_parser().parse_args(["run", "--camera", "file:x.avi", "--port", "9000", "--seed", "5"])
    config = config_from_args(args, {})
    assert (config.camera.source, config.web.port, config.sim.seed) == ("file:x.avi", 9000, 5)
    bad = build_parser().parse_args(["run", "--camera", "webcam"])
    with pytest.raises(ConfigError, match="--camera 'webcam': expected auto, simulated"):
        config_from_args(bad, {})


def test_a_bad_config_stops_start_up_with_one_clear_line(tmp_path, capsys):
    path = tmp_path / "kit.toml"
    path.write_text("[web]\nport = 99999\n")
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"awareness-kit: {path}: [web] port = 99999: expected an integer from 0 to 65535"


def _config(tmp_path, content):
    path = tmp_path / "kit.toml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


def _a_file(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    return str(tmp_path / "file")


def _database(tmp_path, *, user_version=None):
    """awareness.db written by a newer kit (user_version), or garbage bytes with that name."""
    path = tmp_path / "awareness.db"
    if user_version is None:
        path.write_bytes(b"this is not a database\n" * 300)
    else:
        with closing(sqlite3.connect(path)) as conn:
            conn.execute(f"PRAGMA user_version={user_version}")
    return str(tmp_path)


SIMULATED = ["--camera", "simulated", "--mic", "simulated", "--sensors", "simulated", "--host", "127.0.0.1"]


@pytest.mark.parametrize("argv, message", [
    (lambda tmp: ["export", "--config", str(tmp / "absent.toml")], "no such config file"),
    (lambda tmp: ["export", "--config", str(tmp)], "the config file cannot be read"),      # unreadable
    (lambda tmp: ["run", "--config", _config(tmp, b"[web]\nhost = '\xff'\n")], "not UTF-8"),
    (lambda tmp: ["check", "--config", _config(tmp, "[camera\n")], "not valid TOML"),
    (lambda tmp: ["admin", "reset-pin", "--config", _config(tmp, "[camera]\nfsp = 10\n")], "unknown key [camera] fsp"),
    (lambda tmp: ["run", "--config", _config(tmp, '[store]\nretention_by_kind = "faces=2"\n')],
     "[store] retention_by_kind = 'faces=2': no kind 'faces'"),
    (lambda tmp: ["run", *SIMULATED, "--data-dir", _a_file(tmp)], "is a file, not a directory"),
    (lambda tmp: ["export", "--data-dir", _a_file(tmp) + "/data"], "is a file, not a directory"),
    (lambda tmp: ["admin", "reset-pin", "--data-dir", _a_file(tmp)], "is a file, not a directory"),
    (lambda tmp: ["export", "--data-dir", _database(tmp, user_version=99)], "written by a newer awareness-kit"),
    (lambda tmp: ["export", "--data-dir", _database(tmp)], "not an awareness-kit database"),
    (lambda tmp: ["export", "--data-dir", _database(tmp, user_version=0), "-o", str(tmp)], "--output"),
], ids=["config missing", "config unreadable", "config not UTF-8", "config not TOML", "unknown key",
        "unknown kind", "run: data dir a file", "export: data dir under a file", "reset-pin: data dir a file",
        "export: newer database", "export: garbage database", "export: output unwritable"])
def test_every_expected_failure_is_one_line_and_exit_2(tmp_path, capsys, argv, message):
    assert main(argv(tmp_path)) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("awareness-kit: ") and "Traceback" not in err, err
    assert message in err


def test_run_on_a_port_in_use_is_one_line_and_exit_2(tmp_path):
    """In a process of its own, as a user runs it (its log lines go to stderr too, but no traceback)."""
    import socket as sockets

    with sockets.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "device", "run", *SIMULATED, "--port", str(port),
                               "--data-dir", str(tmp_path / "data")],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("awareness-kit: ")]
    assert f"cannot listen on 127.0.0.1:{port}" in line and "--port" in line


def watch(port: int, path: str, stop: threading.Event) -> None:
    """A phone watching *path* until *stop* or the end of the stream."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: kit\r\n\r\n".encode())
        sock.settimeout(0.5)
        while not stop.is_set():
            try:
                if not sock.recv(65536):
                    return
            except TimeoutError:
                continue
            except OSError:
                return


def read_nothing(port: int) -> socket.socket:
    """A client that sends requests one after another and reads none of the answers (it walked away)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /api/kinds HTTP/1.1\r\nHost: kit\r\n\r\n" * 2000)
    return sock


@contextmanager
def busy_cpu(processes: int = 2):
    """Every core of a small machine busy with something else."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def test_auto_falls_back_to_simulated_and_sigterm_stops_within_two_seconds_with_everything_stored(tmp_path):
    """This machine has no camera, microphone or GPIO: auto says so once per device and simulates them. SIGTERM
    comes with 30 phones watching, two clients that read nothing, and a loaded CPU: the kit ends within 2 s, with
    exit status 0 (no abort from a thread still in native code) and every observation stored."""
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    stop_watching = threading.Event()
    with subprocess.Popen(
            [sys.executable, "-m", "device", "run", "--port", "0", "--host", "127.0.0.1", "--data-dir", str(data)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        held = ExitStack()
        try:
            line = process.stdout.readline()
            url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
            port = int(url.rsplit(":", 1)[1].strip("/"))
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:       # bounded: until something has been stored
                with urllib.request.urlopen(url + "api/status", timeout=5) as response:
                    if b'"written":0' not in response.read().replace(b" ", b""):
                        break
                time.sleep(0.2)
            phones = [threading.Thread(target=watch, args=(port, path, stop_watching), daemon=True)
                      for _ in range(30) for path in ("/stream.mjpg", "/events")]
            for phone in phones:
                phone.start()
            for _ in range(2):
                held.enter_context(read_nothing(port))
            held.enter_context(busy_cpu())
            time.sleep(3.0)                             # the phones are watching; the answers pile up unread
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
            elapsed = time.monotonic() - started
        finally:
            stop_watching.set()
            held.close()
            if process.poll() is None:
                process.kill()
        stderr = process.stderr.read()
    assert process.returncode == 0 and "terminate called" not in stderr, stderr[-3000:]
    assert elapsed < 2.0, f"stopped in {elapsed:.1f} s"
    stored, published = map(int, re.search(r"stopped; (\d+) of (\d+) observations stored", stderr).groups())
    assert stored == published > 0
    with closing(sqlite3.connect(data / "awareness.db")) as conn:
        assert conn.execute("SELECT COUNT(*) FROM observations").fetchone()[0] == stored
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for device in ("camera", "microphone", "sensors"):
        lines = [line for line in stderr.splitlines() if f" {device}: " in line and "simulated" in line]
        assert len(lines) == 1 and "simulated" in lines[0], stderr


def test_the_kit_ends_without_an_abort_while_a_thread_is_still_in_opencv():
    """Returning from main() here ends in "terminate called without an active exception" (exit -6) every time:
    finalising the interpreter force-unwinds the daemon threads inside OpenCV. run() ends with _leave instead."""
    script = ("import threading, time, numpy, cv2\n"
              "from device.cli import _leave\n"
              "big = numpy.zeros((3000, 3000), numpy.uint8)\n"
              "def blur():\n"
              "    while True: cv2.GaussianBlur(big, (31, 31), 0)\n"
              "for _ in range(4): threading.Thread(target=blur, daemon=True).start()\n"
              "time.sleep(0.5)\n"
              "print('written', flush=False)\n"
              "_leave(0)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "terminate called" not in done.stderr, done.stderr
    assert done.stdout == "written\n", "what was printed is flushed first"


def test_a_stop_signal_is_seen_at_once_whichever_thread_the_kernel_gives_it_to():
    from device.cli import StopSignal

    stop = StopSignal()
    try:
        sleeper = threading.Thread(target=time.sleep, args=(3,), daemon=True)
        sleeper.start()
        threading.Timer(0.3, signal.pthread_kill, args=(sleeper.ident, signal.SIGTERM)).start()
        started = time.monotonic()
        assert stop.wait(10.0), "the signal is seen"
        assert time.monotonic() - started < 1.5, "while the main loop waits, not when its wait ends"
    finally:
        stop.close()


def test_the_watchdog_hears_from_the_kit_only_while_its_dashboard_answers(tmp_path):
    """The old loop pinged systemd while the server's thread was alive, even with every request timing out."""
    from flask import Flask

    from device.cli import keep_watch
    from device.notify import Notifier
    from web.server import Server

    app, release, busy = Flask(__name__), threading.Event(), []

    @app.get("/healthz")
    def healthz():
        return "ok"

    @app.get("/wait")
    def wait():
        busy.append(1)
        release.wait(15)
        return "done"

    server = Server(app, "127.0.0.1", 0, max_viewers=1).start()        # 2 * 1 + 8 = 10 threads
    address, stop = str(tmp_path / "notify"), threading.Event()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(address)
        listener.settimeout(5)
        notifier = Notifier({"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "400000"})
        watching = threading.Thread(target=keep_watch, args=(server, notifier, stop.wait), daemon=True)
        watching.start()
        try:
            assert [listener.recv(64) for _ in range(2)] == [b"WATCHDOG=1"] * 2, "serving: all is well"
            holders = [threading.Thread(target=_ask_and_close, args=(server.port, "/wait"), daemon=True)
                       for _ in range(10)]
            for holder in holders:
                holder.start()
            deadline = time.monotonic() + 10
            while len(busy) < 10 and time.monotonic() < deadline:
                time.sleep(0.05)
            listener.settimeout(0.5)
            with suppress(TimeoutError):
                while True:         # pings sent before every thread was taken
                    listener.recv(64)
            listener.settimeout(2.0)
            with pytest.raises(TimeoutError):
                listener.recv(64)       # every thread taken: the server is up, but does not answer
            release.set()
            listener.settimeout(5)
            assert listener.recv(64) == b"WATCHDOG=1", "answering again"
        finally:
            release.set()
            stop.set()
            watching.join(5)
            server.stop()


def _ask_and_close(port: int, path: str) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: kit\r\nConnection: close\r\n\r\n".encode())
        while sock.recv(65536):
            pass


def stored(tmp_path):
    from device.hub import ObservationHub
    from device.observations import Observation
    from device.store import Store

    hub, store = ObservationHub(), Store(tmp_path / "awareness.db")
    store.start(hub)
    for i in range(5):
        hub.publish(Observation(100.0 + i, "camera", "face" if i % 2 else "motion", None, {"n": i, "s": "a,b"}))
    store.close()


def test_export_writes_json_lines_in_the_api_shape_with_iso_times(tmp_path, capsys):
    import json
    from datetime import datetime

    stored(tmp_path)
    assert main(["export", "--data-dir", str(tmp_path), "--kind", "face"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["value"]["n"] for r in rows] == [1, 3], "--kind: only those observations, no side tables"
    assert set(rows[0]) == {"table", "id", "ts", "source", "kind", "subject", "value", "confidence"}
    assert rows[0]["table"] == "observations" and datetime.fromisoformat(rows[0]["ts"]).timestamp() == 101.0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", rows[0]["ts"]), "with the offset"


def test_export_writes_csv_since_a_time_to_a_file(tmp_path, capsys):
    import csv
    import json

    stored(tmp_path)
    out = tmp_path / "out.csv"
    assert main(["export", "--data-dir", str(tmp_path), "--format", "csv", "--since", "102", "-o", str(out)]) == 0
    assert "exported 2 observations, 0 tracks, 0 visitors, 0 snapshots to" in capsys.readouterr().err
    with out.open() as text:
        rows = list(csv.DictReader(text))
    assert [json.loads(r["value"])["n"] for r in rows] == [3, 4] and json.loads(rows[0]["value"])["s"] == "a,b"
    assert {r["table"] for r in rows} == {"observations"} and rows[0]["first_seen"] == ""


def test_export_piped_to_head_ends_quietly(tmp_path):
    """`awareness-kit export | head`: head leaves after a line; the export stops without a word, exit 0."""
    from device.hub import ObservationHub
    from device.observations import Observation
    from device.store import Store

    hub, store = ObservationHub(), Store(tmp_path / "awareness.db")
    store.start(hub)
    for i in range(3000):       # more than a pipe holds (64 KiB), so writing meets the closed pipe
        hub.publish(Observation(100.0 + i, "camera", "motion", None, {"n": i, "boxes": [[1, 2, 3, 4]] * 4}))
    store.close()
    with subprocess.Popen([sys.executable, "-m", "device", "export", "--data-dir", str(tmp_path)], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as export:
        first = export.stdout.readline()
        export.stdout.close()           # as head does, having its line
        err = export.stderr.read().decode()
        assert export.wait(30) == 0 and b'"table":"observations"' in first
    assert err == "", err


def test_export_only_reads_the_database(tmp_path, capsys):
    """An older kit's database (schema 1, no side tables) is exported as it is: not migrated, not written."""
    import json

    path = tmp_path / "awareness.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript((ROOT / "device" / "store" / "schema_1.sql").read_text())
        conn.execute("INSERT INTO observations (ts, source, kind, subject, value) VALUES (5.0, 'camera', 'face', "
                     "'track:2', '{\"count\": 1}')")
        conn.execute("PRAGMA user_version=1")
        conn.commit()
    before = path.read_bytes()
    assert main(["export", "--data-dir", str(tmp_path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["table"], r["subject"], r["value"]) for r in rows] == [("observations", "track:2", {"count": 1})]
    assert path.read_bytes() == before, "not migrated to schema 2, nothing written"


def test_export_errors_are_clear(tmp_path, capsys):
    assert main(["export", "--data-dir", str(tmp_path / "empty")]) == 2
    assert "no database at" in capsys.readouterr().err
    stored(tmp_path)
    assert main(["export", "--data-dir", str(tmp_path), "--kind", "faces"]) == 2
    assert "--kind 'faces': expected one of" in capsys.readouterr().err
    assert main(["export", "--data-dir", str(tmp_path), "--since", "last week"]) == 2


def test_reset_pin_prints_a_new_pin_that_works(tmp_path, capsys):
    from device.admin import AdminPin

    assert main(["admin", "reset-pin", "--data-dir", str(tmp_path)]) == 0
    pin = re.search(r"new admin PIN is (\d{6})", capsys.readouterr().out).group(1)
    assert AdminPin(tmp_path).verify(pin)


def test_systemd_hears_ready_watchdog_and_stopping(tmp_path):
    """Type=notify: READY=1 once serving, WATCHDOG=1 from the main loop, STOPPING=1 on SIGTERM."""
    import socket as sockets

    address = str(tmp_path / "notify")
    with sockets.socket(sockets.AF_UNIX, sockets.SOCK_DGRAM) as listener:
        listener.bind(address)
        listener.settimeout(15)
        env = {**os.environ, "NOTIFY_SOCKET": address, "WATCHDOG_USEC": "400000"}
        with subprocess.Popen([sys.executable, "-m", "device", "run", "--camera", "simulated", "--mic", "simulated",
                               "--sensors", "simulated", "--port", "0", "--host", "127.0.0.1",
                               "--data-dir", str(tmp_path / "data")],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
            try:
                first = listener.recv(1024).decode()
                assert first.startswith("READY=1\nSTATUS=serving the dashboard on port ")
                assert [listener.recv(1024) for _ in range(3)] == [b"WATCHDOG=1"] * 3
                process.send_signal(signal.SIGTERM)
                while (message := listener.recv(1024)) == b"WATCHDOG=1":
                    pass
                assert message == b"STOPPING=1"
                assert process.wait(10) == 0
            finally:
                if process.poll() is None:
                    process.kill()
