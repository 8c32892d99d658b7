import threading
import time

import numpy as np
import pytest

from device.audio import SimulatedMic
from device.audio.level import dbfs
from device.audio.sources import WavFileMic
from device.errors import DeviceUnavailable
from device.scene import Scene
from tests.helpers import eventually, write_wav


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


# ---- the microphone service: what is still going when the sound ends or the kit stops is stored

def talking_until_the_end(seconds: float) -> np.ndarray:
    """0.5 s of a quiet room, then a voice (110 Hz, in syllables) that is still talking when the sound ends."""
    rng = np.random.default_rng(4)
    t = np.arange(int(16000 * seconds)) / 16000
    voice = sum(np.sin(2 * np.pi * 110 * k * t) / k for k in range(1, 8)) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2)
    return np.where(t >= 0.5, 0.05 * voice, 0.0) + rng.normal(0, 0.001, len(t))


def listening_to(tmp_path, config, seconds: float, *, realtime: bool):
    from device.audio.listening import Listening
    from device.health import SourceState
    from tests.helpers import Published

    path = tmp_path / "talk.wav"
    write_wav(path, talking_until_the_end(seconds))
    mic = WavFileMic(str(path), samplerate=16000, block=1600, realtime=realtime)
    published = Published()
    clock = time.time if realtime else (lambda: mic.position_s)
    listening = Listening(config.replace("mic", words="off"), mic, SourceState("microphone"), publish=published,
                          clock=clock)
    return listening, published


def test_speech_going_on_when_the_file_ends_is_stored(tmp_path, config):
    listening, published = listening_to(tmp_path, config, 3.0, realtime=False)
    listening.loop(threading.Event())            # returns when the file has ended, as the kit's worker does
    (voice,) = published.of("voice")
    assert voice.value["start"] == pytest.approx(0.5, abs=0.15) and voice.value["end"] == pytest.approx(3.0, abs=0.15)
    assert listening.state.state == "ended" and not listening.analyzer.speaking
    listening.close()
    assert len(published.of("voice")) == 1, "close() after the end publishes nothing twice"


def test_speech_going_on_when_the_kit_stops_is_stored(tmp_path, config):
    listening, published = listening_to(tmp_path, config, 30.0, realtime=True)
    stop = threading.Event()
    worker = threading.Thread(target=listening.loop, args=(stop,))
    worker.start()
    try:
        assert eventually(lambda: listening.analyzer.speaking, timeout=5), "the voice was heard"
        time.sleep(0.5)                            # a while later, still talking
    finally:
        stop.set()
        worker.join(5)
        listening.close()                         # what Kit.stop() does
    (voice,) = published.of("voice")
    assert voice.value["duration_s"] >= 0.5 and voice.ts <= time.time()


def test_the_end_of_a_wav_file_shorter_than_a_block_is_heard_too(tmp_path):
    path = tmp_path / "tone.wav"
    write_wav(path, 0.25 * np.sin(np.arange(3300) / 5))
    stop = threading.Event()
    with WavFileMic(str(path), samplerate=16000, block=1600, realtime=False) as mic:
        blocks = [mic.read(stop) for _ in range(4)]
        assert mic.position_s == pytest.approx(3300 / 16000)
    assert [None if b is None else len(b) for b in blocks] == [1600, 1600, 100, None]
    from device.audio.analysis import AudioAnalyzer
    analyzer = AudioAnalyzer(samplerate=16000, publish=lambda obs: None)
    for i, block in enumerate(blocks[:3] + [np.zeros(1, np.float32)]):       # any length is analysed
        analyzer.feed(block, i + 1.0)
