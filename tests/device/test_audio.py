import threading

import numpy as np
import pytest

from device.audio import SimulatedMic
from device.audio.level import dbfs
from device.audio.sources import WavFileMic
from device.errors import DeviceUnavailable
from device.scene import Scene
from tests.helpers import write_wav


def test_dbfs_of_known_signals():
    t = np.arange(1600) / 16000
    assert dbfs(np.sin(2 * np.pi * 1000 * t)) == pytest.approx(-3.01, abs=0.05)
    assert dbfs(0.1 * np.sin(2 * np.pi * 1000 * t)) == pytest.approx(-23.01, abs=0.05)
    assert dbfs(np.zeros(1600)) == -120.0


def test_the_simulated_microphone_delivers_blocks_in_step_with_the_scene():
    scene = Scene(seed=1)
    mic = SimulatedMic(scene, samplerate=16000, block=1600)
    stop = threading.Event()
    with mic:
        block = mic.read(stop)
    assert block.dtype == np.float32 and block.shape == (1600,)
    stop.set()
    mic.open()
    assert mic.read(stop) is None, "a stopped read returns at once"


def test_a_wav_file_plays_as_blocks(tmp_path):
    path = tmp_path / "tone.wav"
    write_wav(path, 0.25 * np.sin(np.arange(3200) / 5))
    stop = threading.Event()
    with WavFileMic(str(path), samplerate=16000, block=1600) as mic:
        blocks = [mic.read(stop), mic.read(stop), mic.read(stop)]
    assert [b is None for b in blocks] == [False, False, True]
    assert dbfs(blocks[0]) == pytest.approx(-15.05, abs=0.2)


def test_a_wav_file_at_another_rate_says_how_to_fix_it(tmp_path):
    path = tmp_path / "cd.wav"
    write_wav(path, np.zeros(100), rate=44100)
    with pytest.raises(DeviceUnavailable, match="samplerate = 44100"):
        WavFileMic(str(path), samplerate=16000).open()


def test_a_missing_sound_card_input_lists_the_inputs_there_are():
    """Real PortAudio (libportaudio2): with no such device the error names it and lists the inputs."""
    try:
        import sounddevice
    except OSError:
        from tests.conftest import require
        require(False, "PortAudio (libportaudio2) is not installed")
    inputs = [d["name"] for d in sounddevice.query_devices() if d["max_input_channels"] > 0]
    from device.audio.sources import SoundDeviceMic
    with pytest.raises(DeviceUnavailable) as err:
        SoundDeviceMic("no-such-microphone", samplerate=16000).open()
    message = str(err.value)
    assert "microphone sounddevice:no-such-microphone cannot be used" in message
    assert "Input devices: " + ("none" if not inputs else "") in message
