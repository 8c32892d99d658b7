import tomllib
from pathlib import Path

import pytest

from device.config import ConfigError, example_toml, load_config, settings

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path, text):
    path = tmp_path / "kit.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file():
    config = load_config()
    assert config.web.port == 8000 and config.web.host == "0.0.0.0"
    assert config.camera.source == "auto" and config.vision.blur_faces is True


def test_file_values_are_used(tmp_path):
    text = '[camera]\nfps = 10\nsource = "file:/tmp/a.avi"\n[vision]\nblur_faces = false\n'
    config = load_config(write(tmp_path, text))
    assert (config.camera.fps, config.camera.source, config.vision.blur_faces) == (10, "file:/tmp/a.avi", False)


def test_an_unknown_key_names_the_file_and_the_key(tmp_path):
    path = write(tmp_path, "[camera]\nfsp = 10\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value) and "[camera] fsp" in str(err.value) and "fps" in str(err.value)


def test_an_unknown_section_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown section \[cameras\]"):
        load_config(write(tmp_path, "[cameras]\nfps = 10\n"))


@pytest.mark.parametrize("text, expected", [
    ("[camera]\nfps = 500\n", "[camera] fps = 500: expected an integer from 1 to 60"),
    ('[camera]\nfps = "fast"\n', "[camera] fps = 'fast': expected an integer from 1 to 60"),
    ("[vision]\nblur_faces = 1\n", "[vision] blur_faces = 1: expected true or false"),
    ('[camera]\nsource = "webcam"\n',
     "[camera] source = 'webcam': expected auto, simulated, picamera2, opencv:N or file:PATH"),
    ("[web]\nport = 8000.5\n", "[web] port = 8000.5: expected an integer from 0 to 65535"),
])
def test_a_bad_value_names_file_key_value_and_what_was_expected(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: {expected}"


def test_invalid_toml_and_missing_file_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[camera\n"))
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "absent.toml")


def test_environment_overrides_the_file(tmp_path):
    path = write(tmp_path, "[camera]\nfps = 10\n")
    config = load_config(path, environ={"AWARENESS_KIT_CAMERA_FPS": "20", "AWARENESS_KIT_VISION_BLUR_FACES": "false",
                                        "AWARENESS_KIT_SENSORS_MAX_DISTANCE": "2.5", "UNRELATED": "x"})
    assert (config.camera.fps, config.vision.blur_faces, config.sensors.max_distance) == (20, False, 2.5)


@pytest.mark.parametrize("name, value, message", [
    ("AWARENESS_KIT_CAMERA_FPS", "0", "environment variable AWARENESS_KIT_CAMERA_FPS = 0: expected an integer"),
    ("AWARENESS_KIT_CAMERA_FRAMES", "3", "AWARENESS_KIT_CAMERA_FRAMES: no such setting"),
])
def test_a_bad_environment_variable_is_named(name, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config(environ={name: value})


def test_the_example_file_documents_every_key_with_its_default():
    text = (ROOT / "config.example.toml").read_text()
    assert text == example_toml(), "config.example.toml is stale: regenerate it from device.config.example_toml()"
    assert load_config(ROOT / "config.example.toml") == load_config()
    parsed = tomllib.loads(text)
    for section, field in settings():
        assert field.name in parsed[section] and field.metadata["help"] in text
