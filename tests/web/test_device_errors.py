"""A device's errors in the page's language: every DeviceUnavailable pattern (and a file's end) in Serbian, and a
failing source's status carrying its pattern and values for the pages' scripts to translate."""

from __future__ import annotations

import ast
import re
from functools import cache

import pytest

from device.errors import DeviceUnavailable, fill
from tests.helpers import eventually
from tests.web.test_languages import english_in, placeholders
from web.i18n import HERE, load_catalog, translations

DEVICE = HERE.parent / "device"


def _name(call: ast.Call) -> str | None:
    return call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)


@cache
def device_texts() -> dict[str, str]:
    """Every text a source's state may carry as its error, found in device/'s code: DeviceUnavailable's first
    argument, and read_until_stopped's ended=; text -> where it is written."""
    found: dict[str, str] = {}
    for path in sorted(DEVICE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            if _name(node) == "DeviceUnavailable":
                written = node.args[0] if node.args else None
            elif _name(node) == "read_until_stopped":
                written = next((k.value for k in node.keywords if k.arg == "ended"), None)
            else:
                continue
            where = f"{path.relative_to(DEVICE.parent)}:{node.lineno}"
            # An f-string (or a text made elsewhere) would put its values into the pattern, where no
            # translation can find them: the values go as keywords (DeviceUnavailable("... {name}", name=...)).
            assert isinstance(written, ast.Constant) and isinstance(written.value, str), \
                f"{where}: the message must be a constant pattern, its values keywords"
            found[written.value] = where
    return found


def test_the_device_texts_are_found():
    texts = device_texts()
    assert len(texts) > 25
    assert {"camera {name}: no such video file", "the video file has ended", "the sound file has ended",
            "sensors gpio: this machine has no GPIO (/dev/gpiochip* is missing); use --sensors simulated off a "
            "Raspberry Pi"} <= set(texts)


@pytest.mark.parametrize("text", sorted(device_texts()))
def test_every_device_error_has_a_serbian_pattern_with_the_same_values(text):
    serbian = load_catalog(HERE / "translations" / "sr.po").device
    assert text in serbian, f"{device_texts()[text]}: no msgctxt \"device\" entry in sr.po for {text!r}"
    assert placeholders(serbian[text]) == placeholders(text)
    said = translations("sr").device_text(text, {name[1:-1]: "X" for name in placeholders(text)})
    commands = r"(?:sudo|pip) \S.*?(?=[;,)]|$)|--[\w-]+(?: [\w:./]+)?|\S*\w-\w\S*"    # said as typed
    assert english_in(re.sub(commands, " ", said)) == [], said


def test_an_error_keeps_its_english_message_and_its_pattern_apart():
    exc = DeviceUnavailable("camera {name}: the file is {rate} Hz, not {wanted}", name="file:a.wav", rate=44100)
    assert str(exc) == "camera file:a.wav: the file is 44100 Hz, not {wanted}"     # a value not given stays named
    assert exc.text == "camera {name}: the file is {rate} Hz, not {wanted}"
    assert exc.values == {"name": "file:a.wav", "rate": "44100"}        # as text: JSON, and filled as i18n.js does
    assert fill("{a}{a} {b}", {"a": 1}) == "11 {b}"
    assert str(DeviceUnavailable("plain")) == "plain" and DeviceUnavailable("plain").values == {}


@pytest.fixture
def failing_kit(config):
    """A kit whose camera and microphone are files that do not exist, on mock pins: nothing simulated, so nothing
    draws the scene (a worker still building its faces when the test ends would outlive the kit)."""
    from gpiozero.pins.mock import MockFactory

    from device.kit import Kit

    kit = Kit(config.replace("camera", source="file:/nonexistent/clip.mp4")
              .replace("mic", source="file:/nonexistent/sound.wav"), pin_factory=MockFactory())
    kit.start()
    yield kit
    kit.stop()


def test_a_failing_source_says_why_in_the_page_language(failing_kit):
    from web import create_app

    client = create_app(failing_kit, {"TESTING": True}).test_client()

    def sources() -> dict:
        return client.get("/api/status").get_json()["sources"]

    assert eventually(lambda: sources()["camera"]["state"] == "offline" and
                      sources()["microphone"]["state"] == "offline", timeout=10)
    camera, mic = sources()["camera"], sources()["microphone"]
    # The English error is as it was (a contract); its pattern and values come beside it.
    assert camera["error"] == "camera file:/nonexistent/clip.mp4: no such video file"
    assert camera["error_text"] == "camera {name}: no such video file"
    assert camera["error_values"] == {"name": "file:/nonexistent/clip.mp4"}
    assert mic["error_text"] == "microphone {name}: cannot read the file ({reason})"
    assert mic["error"] == fill(mic["error_text"], mic["error_values"]) and "No such file" in mic["error"]
    assert sources()["sensors"]["error_text"] is None and sources()["sensors"]["error_values"] is None

    sr = translations("sr")
    assert sr.device_text(camera["error_text"], camera["error_values"]) == \
        "kamera file:/nonexistent/clip.mp4: ta video datoteka ne postoji"
    said = sr.device_text(mic["error_text"], mic["error_values"])       # the OS's own words stay as they are
    assert said.startswith("mikrofon file:/nonexistent/sound.wav: datoteka ne može da se pročita (")
    assert translations("en").device_text(camera["error_text"], camera["error_values"]) == camera["error"]

    # The status says each error in every language (error_says), which the pages show: no catalog in the page.
    assert camera["error_says"] == {"en": camera["error"],
                                    "sr": "kamera file:/nonexistent/clip.mp4: ta video datoteka ne postoji"}
    assert mic["error_says"]["sr"] == said and mic["error_says"]["en"] == mic["error"]
    assert "error_says" not in sources()["sensors"]
    page = client.get("/?lang=sr").get_data(as_text=True)
    assert "kamera {name}" not in page, "the scripts need no device patterns"
