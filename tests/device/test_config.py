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


def test_an_unreadable_or_binary_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=f"{tmp_path}: the config file cannot be read: Is a directory"):
        load_config(tmp_path)
    path = tmp_path / "kit.toml"
    path.write_bytes(b"[web]\nhost = '\xff'\n")
    with pytest.raises(ConfigError, match=f"{path}: not UTF-8 text"):
        load_config(path)


def test_retention_by_kind_is_parsed_once_from_text_a_table_or_the_environment(tmp_path):
    from device.observations import KINDS

    text = load_config(write(tmp_path, '[store]\nretention_h = 48\nretention_by_kind = "face=2, voice = 0.5"\n'))
    table = load_config(write(tmp_path, "[store]\nretention_h = 48\nretention_by_kind = {face = 2, voice = 0.5}\n"))
    env = load_config(environ={"AWARENESS_KIT_STORE_RETENTION_H": "48",
                               "AWARENESS_KIT_STORE_RETENTION_BY_KIND": "face=2,voice=0.5"})
    assert text == table == env
    assert dict(text.store.retention_by_kind) == {"face": 2.0, "voice": 0.5}
    with pytest.raises(TypeError):
        text.store.retention_by_kind["face"] = 3.0      # type: ignore[index]
    hours = text.retention_hours()
    assert set(hours) == set(KINDS) and hours["face"] == 2.0 and hours["voice"] == 0.5 and hours["motion"] == 48.0
    assert load_config().retention_hours()["motion"] == 6.0 and hash(load_config()) == hash(load_config())
    assert dict(load_config().replace("store", retention_by_kind="").store.retention_by_kind) == {}


@pytest.mark.parametrize("value, expected", [
    ('"faces=2"', "'faces=2': no kind 'faces': expected kinds among motion, face"),
    ('"motion=0"', "'motion=0': motion=0.0: expected hours from 0.1 to 8760"),
    ('"motion=soon"', "'motion=soon': motion='soon': expected hours from 0.1 to 8760"),
    ('"motion=1, motion=2"', "'motion=1, motion=2': motion given twice: expected each kind once"),
    ("{motion = true}", "{'motion': True}: motion=True: expected hours from 0.1 to 8760"),
    ("6", "6: expected kind=hours pairs separated by commas, or a table; hours from 0.1 to 8760"),
])
def test_a_bad_retention_by_kind_names_file_key_value_and_what_was_expected(tmp_path, value, expected):
    path = write(tmp_path, f"[store]\nretention_by_kind = {value}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: [store] retention_by_kind = {expected}")


def test_keywords_become_a_tuple_of_words():
    assert load_config().mic.keywords == ("hello", "camera", "password", "recording")
    config = load_config(environ={"AWARENESS_KIT_MIC_KEYWORDS": "hello,  good  morning"})
    assert config.mic.keywords == ("hello", "good morning")
    assert config.replace("mic", keywords=["camera"]).mic.keywords == ("camera",)
    for bad in ("Hello", "hello,,camera", "", []):
        with pytest.raises(ConfigError, match=r"\[mic\] keywords = .*: expected lower-case words separated by commas"):
            config.replace("mic", keywords=bad)


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
