"""The [mqtt] and [sim] sections, and the simulated exhibition's rooms."""

from __future__ import annotations

import dataclasses

import pytest

from device.config import ConfigError, load_config, setting
from device.exhibition import settings
from device.scene import Scene
from device.scene_rooms import ROOM_SHIFT_S


def test_the_sections_declare_their_settings_as_the_config_does():
    assert set(settings.setting(0, "").metadata) == set(setting(0, "").metadata)
    for section in (settings.MqttConfig, settings.SimConfig):
        for f in dataclasses.fields(section):
            assert f.metadata["help"], f.name


def test_the_url_keeps_its_password_to_itself():
    url = settings.BrokerUrl("mqtt://hall:s3cr%40t@192.168.4.1:1884")
    assert repr(url) == "'mqtt://hall:***@192.168.4.1:1884'" and "s3cr" not in repr(load_config(environ={
        "AWARENESS_KIT_MQTT_URL": url}))
    assert url.parts() == settings.Broker("192.168.4.1", 1884, "hall", "s3cr@t", False)
    assert settings.BrokerUrl("mqtts://h").parts().port == 8883
    with pytest.raises(ValueError) as err:
        settings.BrokerUrl("hall:s3cret@h:99999").parts()
    assert "s3cret" not in str(err.value)


def test_rooms_and_room_are_checked():
    config = load_config(environ={"AWARENESS_KIT_SIM_ROOMS": "hall, cafe ,garden", "AWARENESS_KIT_SIM_ROOM": "cafe"})
    assert config.sim.rooms == ("hall", "cafe", "garden")
    assert settings.scene_rooms(config) == {"room": 1, "rooms": 3}
    named = load_config(environ={"AWARENESS_KIT_SIM_ROOMS": "hall,cafe", "AWARENESS_KIT_MQTT_KIT_NAME": "cafe"})
    assert settings.scene_rooms(named) == {"room": 1, "rooms": 2}
    assert settings.scene_rooms(load_config()) == {"room": 0, "rooms": 1}
    with pytest.raises(ConfigError, match=r"\[sim\] room = 'bar': expected one of \[sim\] rooms \(hall, cafe\)"):
        load_config(environ={"AWARENESS_KIT_SIM_ROOMS": "hall,cafe", "AWARENESS_KIT_SIM_ROOM": "bar"})
    with pytest.raises(ConfigError, match="AWARENESS_KIT_SIM_ROOMS = .hall,hall.: expected room names"):
        load_config(environ={"AWARENESS_KIT_SIM_ROOMS": "hall,hall"})
    with pytest.raises(ConfigError, match="AWARENESS_KIT_MQTT_KIT_NAME = .Hall 1."):
        load_config(environ={"AWARENESS_KIT_MQTT_KIT_NAME": "Hall 1"})


def test_the_same_visitors_walk_through_the_rooms_in_order():
    rooms = [Scene(4, room=k, rooms=3) for k in range(3)]
    visits = [{v.number: v for v in scene.visitors_between(0, 600)} for scene in rooms]
    for number in visits[0]:
        if number not in visits[2]:
            continue
        walk = [visits[k][number] for k in range(3)]
        assert len({(v.person, v.face, v.shirt, v.pitch_hz) for v in walk}) == 1, "the same person"
        assert walk[0].exit <= walk[1].enter and walk[1].exit <= walk[2].enter, "in order, one room at a time"
        assert walk[1].enter - walk[0].enter == pytest.approx(ROOM_SHIFT_S)
    # a visitor comes back to the first room only after leaving the last
    for v in visits[0].values():
        if v.person != v.number:
            assert visits[0][v.person].exit + 2 * ROOM_SHIFT_S < v.enter


def test_a_kit_alone_plays_the_scene_it_always_played():
    alone, first = Scene(7), Scene(7, room=0, rooms=1)
    assert alone.visitors_between(0, 300) == first.visitors_between(0, 300)
