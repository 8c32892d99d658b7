"""The command line: `awareness-kit run` starts the kit and its dashboard.

    awareness-kit run --camera simulated --port 8000
"""

from __future__ import annotations

import argparse
import logging
import os
import select
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from device import __version__, logs
from device.config import Config, load_config
from device.errors import ConfigError, KitError, StoreError
from device.network import lan_address
from device.notice import cli as notice
from device.notify import Notifier

logger = logging.getLogger("awareness-kit")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="awareness-kit",
        description="A Raspberry Pi that watches, listens and senses like a smart city camera, keeps everything "
                    "on the device, and shows it all on a live dashboard.")
    parser.add_argument("--version", action="version", version=f"awareness-kit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run", help="capture, analyse and serve the live dashboard",
        description="Start the kit: capture from the camera, microphone and sensors (simulated where there are "
                    "none), analyse on the device, and serve the dashboard. Flags override the config file, "
                    "which overrides the defaults; AWARENESS_KIT_<SECTION>_<KEY> variables override the file.")
    run.add_argument("--config", type=Path, metavar="FILE",
                     help="TOML config file (see config.example.toml); default: built-in defaults")
    run.add_argument("--camera", metavar="SOURCE",
                     help="auto (real camera if found, else simulated), simulated, picamera2 (the Pi's camera), "
                          "opencv:N (USB webcam N) or file:PATH (a video file)")
    run.add_argument("--loop", action="store_true", default=None,
                     help="with --camera file:PATH, play the video again from the start when it ends")
    run.add_argument("--mic", metavar="SOURCE",
                     help="auto (real input if found, else simulated), simulated, sounddevice[:NAME_OR_INDEX] "
                          "or file:PATH.wav")
    run.add_argument("--sensors", metavar="SOURCE", choices=["auto", "simulated", "gpio"],
                     help="auto (the GPIO header if present, else simulated), simulated (gpiozero mock pins) "
                          "or gpio")
    run.add_argument("--host", metavar="H", help="address to listen on (default 0.0.0.0: every interface, "
                                                 "so phones on the network can connect)")
    run.add_argument("--port", type=int, metavar="P", help="dashboard port (default 8000)")
    run.add_argument("--data-dir", metavar="DIR",
                     help="where the database and any stored file live (default ~/.local/share/awareness-kit)")
    run.add_argument("--seed", type=int, metavar="N", help="seed of the simulated scene (same seed, same visitors)")
    run.add_argument("-v", "--verbose", action="store_true", help="log debugging detail")

    export = commands.add_parser(
        "export", help="write everything stored (observations, tracks, visitors, snapshots) as JSON lines or CSV",
        description="Write every stored row to standard output (or --output), one line each: the observations "
                    "(oldest first), then the tracks, visitors and snapshots tables, each row with its \"table\" "
                    "and its times in ISO 8601 with the UTC offset. It only reads: a running kit goes on.")
    export.add_argument("--config", type=Path, metavar="FILE", help="TOML config file (for the data directory)")
    export.add_argument("--data-dir", metavar="DIR", help="the kit's data directory")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl", help="jsonl (default) or csv")
    export.add_argument("--since", metavar="WHEN",
                        help="only rows written (side tables: last touched) after WHEN: a Unix time or a date-time "
                             "such as 2026-11-26T14:00")
    export.add_argument("--kind", metavar="KIND", help="only this kind of observation (see /api/kinds); "
                                                       "no side tables")
    export.add_argument("--output", "-o", type=Path, metavar="FILE", help="write here instead of standard output")

    check = commands.add_parser(
        "check", help="check camera, microphone, sensors, disk, temperature, clock and service",
        description="Check that everything the kit needs is here and working. Each line says OK, PROBLEM (with "
                    "how to fix it) or SKIP; the exit status is 1 when there is a problem.")
    check.add_argument("--config", type=Path, metavar="FILE", help="TOML config file (the installed kit uses "
                                                                   "/etc/awareness-kit/config.toml)")
    check.add_argument("--camera", metavar="SOURCE", help="as for run")
    check.add_argument("--mic", metavar="SOURCE", help="as for run")
    check.add_argument("--sensors", metavar="SOURCE", choices=["auto", "simulated", "gpio"], help="as for run")
    check.add_argument("--data-dir", metavar="DIR", help="as for run")

    admin = commands.add_parser("admin", help="administer the kit on the device itself")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    reset = admin_commands.add_parser("reset-pin", help="make a new admin PIN and print it (the old one stops working)")
    reset.add_argument("--config", type=Path, metavar="FILE", help="TOML config file (for the data directory)")
    reset.add_argument("--data-dir", metavar="DIR", help="the kit's data directory")
    notice.add_parser(commands)
    return parser


def _data_dir_config(args: argparse.Namespace, environ: dict[str, str]) -> Config:
    config = load_config(args.config, environ=environ)
    if args.data_dir:
        config = config.replace("store", data_dir=args.data_dir)
    return config


def _check_data_dir(config: Config) -> Config:
    """Refuse a data directory that is a file (or lies under one) before anything tries to use it."""
    path = config.data_dir
    try:
        existing = next(p for p in (path, *path.parents) if p.exists())
        usable = existing.is_dir()
    except OSError as exc:         # a parent the kit's user may not enter
        raise StoreError(f"data directory {path}: {exc.strerror or exc}; choose another with --data-dir or "
                         "[store] data_dir") from None
    if not usable:
        raise StoreError(f"data directory {path}: {existing} is a file, not a directory; choose another with "
                         "--data-dir or [store] data_dir")
    return config


def _when(text: str | None) -> float | None:
    if text is None:
        return None
    from datetime import datetime

    try:
        return float(text)
    except ValueError:
        try:
            return datetime.fromisoformat(text).timestamp()
        except ValueError:
            raise ConfigError(f"--since {text!r}: expected a Unix time or a date-time like 2026-11-26T14:00") from None


def export_command(args: argparse.Namespace, environ: dict[str, str]) -> int:
    from device.observations import KINDS
    from device.store.export import export, readable

    config = _check_data_dir(_data_dir_config(args, environ))
    if args.kind and args.kind not in KINDS:
        raise ConfigError(f"--kind {args.kind!r}: expected one of {', '.join(KINDS)}")
    path = config.data_dir / "awareness.db"
    if not path.exists():
        raise KitError(f"nothing to export: no database at {path} (is --data-dir right?)")
    store = readable(path)          # read-only: never migrated or written, a running kit goes on
    since = _when(args.since)
    if args.output:
        try:
            out = open(args.output, "w", encoding="utf-8", newline="")
        except OSError as exc:
            raise ConfigError(f"--output {args.output}: cannot write there: {exc.strerror or exc}") from None
        with out:
            counts = export(store, out, fmt=args.format, since=since, kind=args.kind)
        rows = ", ".join(f"{n} {table}" for table, n in counts.items())
        print(f"awareness-kit: exported {rows} to {args.output}", file=sys.stderr)
        return 0
    try:
        export(store, sys.stdout, fmt=args.format, since=since, kind=args.kind)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader had enough (`| head`): not an error. What stdout still buffers goes to /dev/null, so
        # that the interpreter's last flush at exit is quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def check_command(args: argparse.Namespace, environ: dict[str, str]) -> int:
    from device.check import run_checks

    config = _data_dir_config(args, environ)
    for flag, section, value in (("--camera", "camera", args.camera), ("--mic", "mic", args.mic),
                                 ("--sensors", "sensors", args.sensors)):
        if value is not None:
            try:
                config = config.replace(section, source=value)
            except ConfigError as exc:
                raise ConfigError(f"{flag} {str(exc).split(' = ', 1)[1]}") from None
    results = run_checks(config)
    for result in results:
        print(result.line())
    problems = sum(r.state == "PROBLEM" for r in results)
    print(f"{problems} problem(s)" if problems else "everything is ready")
    return 1 if problems else 0


def admin_command(args: argparse.Namespace, environ: dict[str, str]) -> int:
    from device.admin import AdminPin

    config = _check_data_dir(_data_dir_config(args, environ))
    try:
        pin = AdminPin(config.data_dir).reset()
    except OSError as exc:
        raise StoreError(f"cannot write the admin PIN in {config.data_dir}: {exc.strerror or exc}") from None
    print(f"awareness-kit: the new admin PIN is {pin} (the old one no longer works, and every admin is logged out)")
    return 0


def config_from_args(args: argparse.Namespace, environ: dict[str, str]) -> Config:
    """The config file and environment, then the command-line flags on top (each checked like a file value)."""
    config = load_config(args.config, environ=environ)
    overrides = [("--camera", "camera", "source", args.camera), ("--loop", "camera", "loop", args.loop),
                 ("--mic", "mic", "source", args.mic),
                 ("--sensors", "sensors", "source", args.sensors), ("--host", "web", "host", args.host),
                 ("--port", "web", "port", args.port), ("--data-dir", "store", "data_dir", args.data_dir),
                 ("--seed", "sim", "seed", args.seed)]
    for flag, section, key, value in overrides:
        if value is not None:
            try:
                config = config.replace(section, **{key: value})
            except ConfigError as exc:
                raise ConfigError(f"{flag} {str(exc).split(' = ', 1)[1]}") from None
    return config


class StopSignal:
    """SIGTERM or SIGINT, seen by the main loop at once, whichever thread the kernel hands the signal to.

    Python runs a signal's handler only in the main thread, between bytecodes: a main thread asleep in a wait
    with a timeout saw a SIGTERM delivered to another thread only when the wait ended, up to 5 s later. The C
    handler also writes the signal's number to a wakeup descriptor at once, and the main loop waits on that.

        stop = StopSignal()
        while not stop.wait(5.0): ...
        stop.close()
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self._read, self._write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.requested = False
        self._previous_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        self._previous = {signum: signal.signal(signum, self._handle) for signum in self.SIGNALS}

    def _handle(self, signum: int, frame) -> None:
        self.requested = True

    def wait(self, timeout: float) -> bool:
        """Whether a stop was asked for, waiting up to *timeout* s for one."""
        deadline = time.monotonic() + timeout
        while not self.requested and (left := deadline - time.monotonic()) > 0:
            if select.select([self._read], [], [], left)[0]:
                try:
                    self.requested = any(number in self.SIGNALS for number in os.read(self._read, 64))
                except BlockingIOError:
                    pass
        return self.requested

    def close(self) -> None:
        signal.set_wakeup_fd(self._previous_fd)
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        os.close(self._read)
        os.close(self._write)


WATCH_EVERY_S = 5.0


def keep_watch(server: Any, notifier: Notifier, stop: Callable[[float], bool]) -> None:
    """Until *stop(timeout)* is true: tell systemd's watchdog all is well each time the dashboard answers a
    request of its own, so that a server that stops serving (whatever its threads' state) gets the kit restarted."""
    if not notifier.watchdog_s:
        while not stop(3600.0):
            pass
        return
    every = min(notifier.interval_s, WATCH_EVERY_S)
    while not stop(every):
        if server.answers(timeout=max(0.2, min(2.0, every))):
            notifier.watchdog()
        else:
            logger.warning("the dashboard did not answer a request of its own: systemd is not told all is well")


def run(config: Config) -> NoReturn:
    """Run the kit until SIGTERM or SIGINT, then stop it and end the process (see _leave)."""
    from device.kit import Kit
    from web import create_app
    from web.server import Server

    kit = Kit(_check_data_dir(config))
    stop = StopSignal()
    try:
        kit.start()
        new_pin = kit.admin.ensure()
        try:
            server = Server(create_app(kit), config.web.host, config.web.port,
                            max_viewers=config.web.max_viewers).start()
        except OSError as exc:
            raise KitError(f"cannot listen on {config.web.host}:{config.web.port}: {exc.strerror or exc}; "
                           "choose another with --port") from None
    except BaseException:
        kit.stop()
        stop.close()
        raise
    urls = [f"http://127.0.0.1:{server.port}/"]
    lan = lan_address()
    if config.web.host in ("0.0.0.0", "::") and lan:
        urls.append(f"http://{lan}:{server.port}/ (phones on this network)")
    elif config.web.host not in ("0.0.0.0", "::", "127.0.0.1"):
        urls = [f"http://{config.web.host}:{server.port}/"]
    print(f"awareness-kit: dashboard at {' and '.join(urls)}; data in {config.data_dir}", flush=True)
    if new_pin:
        print(f"awareness-kit: the admin PIN is {new_pin} (the kiosk screen shows it only when someone at the "
              "device asks with its button; `awareness-kit admin reset-pin` makes a new one)", flush=True)
    notifier = Notifier(os.environ)
    notifier.ready(f"serving the dashboard on port {server.port}")
    keep_watch(server, notifier, stop.wait)
    notifier.stopping()
    logger.info("stopping")
    code = 1
    try:
        kit.stop()        # flushes and closes the store; ends every live stream too
        code = 0
    except Exception:
        logger.exception("stopping the kit failed")
    server.stop(grace_s=0.2)
    _leave(code)


def _leave(code: int) -> NoReturn:
    """End the process now that the kit is stopped, without the interpreter's finalisation.

    kit.stop() has flushed and closed the store, closed the devices and joined its workers, each within a bound.
    What may still run is a thread inside native code that outlived its bound (an OpenCV call on a loaded CPU,
    PortAudio's callback thread, OpenCV's own pool). Finalising the interpreter under it force-unwinds a daemon
    thread that comes back for the GIL, through C++ frames: std::terminate, "terminate called without an active
    exception", exit -6 (4 of 6 stops under load); and finalising took 1.6 to 2.8 s under load by itself. Joining
    cannot be bounded for threads the kit does not own; os._exit can, once everything is written.
    """
    logs.flush()          # the counts of repeated messages not yet written
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # The log on stderr (the journal), each repeated message once then once per 5 min with its count, and
    # hardware warnings (a sensor with no echo) as log lines: a kit left running for days does not fill its disk.
    logs.setup(logging.DEBUG if getattr(args, "verbose", False) else logging.INFO, sys.stderr)
    try:
        if args.command == "export":
            return export_command(args, dict(os.environ))
        if args.command == "admin":
            return admin_command(args, dict(os.environ))
        if args.command == "check":
            return check_command(args, dict(os.environ))
        if args.command == "notice":
            return notice.notice_command(args, dict(os.environ))
        config = config_from_args(args, dict(os.environ))
        return run(config)
    except KitError as exc:
        print(f"awareness-kit: {exc}", file=sys.stderr)
        return 2
