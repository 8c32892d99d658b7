"""`awareness-kit check`: is everything the kit needs here and working? Each line says OK, PROBLEM (with
how to fix it) or SKIP (does not apply here); the exit status is non-zero when there is a problem.

    results = run_checks(config)
    for r in results: print(r.line())
"""

from __future__ import annotations

import glob
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from device.config import Config


@dataclass(frozen=True)
class Result:
    name: str
    state: str          # OK, PROBLEM or SKIP
    detail: str

    def line(self) -> str:
        return f"{self.state:<8} {self.name:<12} {self.detail}"


def camera(config: Config) -> Result:
    source = config.camera.source
    if source == "simulated":
        return Result("camera", "OK", "simulated (by configuration)")
    if source.startswith("file:"):
        path = Path(source[5:])
        return Result("camera", "OK" if path.is_file() else "PROBLEM",
                      f"plays {path}" if path.is_file() else f"{path} does not exist: fix [camera] source")
    try:
        from picamera2 import Picamera2
        cameras = Picamera2.global_camera_info()
    except Exception:
        cameras = []
    if cameras and source in ("auto", "picamera2"):
        return Result("camera", "OK", f"picamera2: {len(cameras)} camera(s), {cameras[0].get('Model', '?')}")
    videos = sorted(glob.glob("/dev/video[0-9]*"))
    if videos and source != "picamera2":
        return Result("camera", "OK", f"USB camera {videos[0]}")
    return Result("camera", "PROBLEM", "no camera found: seat the Camera Module's ribbon cable (or plug in a USB "
                  "webcam), check with `rpicam-hello --list-cameras`, or set [camera] source = \"simulated\"")


def microphone(config: Config) -> Result:
    source = config.mic.source
    if source == "simulated" or source.startswith("file:"):
        return Result("microphone", "OK", f"{source} (by configuration)")
    try:
        import sounddevice
        inputs = [d["name"] for d in sounddevice.query_devices() if d["max_input_channels"] > 0]
    except OSError:
        return Result("microphone", "PROBLEM", "PortAudio is missing: sudo apt install libportaudio2")
    if not inputs:
        return Result("microphone", "PROBLEM", "no sound input: plug in a USB microphone (`arecord -l` lists them), "
                      "or set [mic] source = \"simulated\"")
    return Result("microphone", "OK", f"inputs: {', '.join(inputs[:3])}")


def sensors(config: Config) -> list[Result]:
    if config.sensors.source == "simulated":
        return [Result("sensors", "OK", "simulated (by configuration)")]
    if not glob.glob("/dev/gpiochip*"):
        return [Result("sensors", "PROBLEM", "no GPIO header (/dev/gpiochip* is missing): on a Raspberry Pi only, "
                       "or set [sensors] source = \"simulated\"")]
    from device.sensors import SensorBoard, real_factory

    try:
        factory = real_factory(required=True)
    except Exception as exc:
        return [Result("sensors", "PROBLEM", str(exc))]
    board = SensorBoard(config.sensors, lambda obs: None, pin_factory=factory, name="gpio", real=True)
    board.start()
    try:
        results = []
        for key, entry in board.status().items():
            if entry["state"] == "ok":
                results.append(Result(key, "OK", "reading" if key not in ("led", "buzzer", "button") else "ready"))
            elif entry["state"] == "off":
                results.append(Result(key, "SKIP", "turned off in the config"))
            else:
                results.append(Result(key, "PROBLEM", f"{entry['error']}: check its wiring in hardware.md"))
        return results
    finally:
        board.close()


def disk(config: Config) -> Result:
    folder = config.data_dir if config.data_dir.exists() else config.data_dir.parent
    while not folder.exists():
        folder = folder.parent
    free_mb = shutil.disk_usage(folder).free / 1e6
    if free_mb < config.store.min_free_mb:
        return Result("disk", "PROBLEM", f"{free_mb:.0f} MB free, under [store] min_free_mb = "
                      f"{config.store.min_free_mb}: free space, or use a larger SD card")
    return Result("disk", "OK", f"{free_mb:,.0f} MB free for {config.data_dir}")


def temperature(thermal: Path = Path("/sys/class/thermal/thermal_zone0/temp")) -> Result:
    try:
        celsius = int(thermal.read_text()) / 1000
    except (OSError, ValueError):
        return Result("temperature", "SKIP", "no CPU temperature sensor here")
    if celsius >= 75:
        return Result("temperature", "PROBLEM", f"{celsius:.0f} °C: the Pi throttles at 80 °C; add a fan or vents")
    return Result("temperature", "OK", f"{celsius:.0f} °C")


def clock(now: float | None = None) -> Result:
    now = time.time() if now is None else now
    year = time.gmtime(now).tm_year
    if year < 2025:
        return Result("clock", "PROBLEM", f"the clock says {year}: the Pi has no battery clock and no network time "
                      "yet; connect it to the internet once, or set it with `sudo date -s`")
    return Result("clock", "OK", time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(now)))


def service() -> Result:
    systemctl = shutil.which("systemctl")
    if systemctl is None or not Path("/run/systemd/system").is_dir():
        return Result("service", "SKIP", "systemd is not running here")
    state = subprocess.run([systemctl, "is-active", "awareness-kit"], capture_output=True, text=True).stdout.strip()
    if state == "active":
        return Result("service", "OK", "awareness-kit.service is running")
    return Result("service", "PROBLEM", f"awareness-kit.service is {state or 'not installed'}: "
                  "`sudo systemd/install.sh` installs it, `journalctl -u awareness-kit -e` says why it stopped")


def run_checks(config: Config) -> list[Result]:
    from device.exhibition.check import broker
    return [camera(config), microphone(config), *sensors(config), disk(config), temperature(), clock(), service(),
            broker(config)]
