"""Following a visitor from room to room: three kits on one real broker, each seeing its room of the simulated
exhibition, link the sightings of one visitor into one exhibition-wide person, on every kit."""

from __future__ import annotations

import json

from tests.exhibition.conftest import ROOMS
from tests.exhibition.scenes import play, track_of
from tests.helpers import eventually


def routes(kit) -> dict[frozenset, dict]:
    """The people a kit shows who were seen in more than one room, by the rooms they were seen in."""
    return {frozenset(s["kit"] for s in p["seen"]): p for p in kit.exhibition.view()["people"] if len(p["seen"]) > 1}


def test_three_kits_follow_visitors_through_the_rooms(kits):
    running = [kits.start(name) for name in ROOMS]
    assert kits.joined(*ROOMS)
    for room, kit in enumerate(running):
        play(kit, room, [1, 2])
    everywhere = frozenset(ROOMS)
    for kit in running:
        assert eventually(lambda kit=kit: sum(len(p["seen"]) == 3 for p in kit.exhibition.view()["people"]) == 2,
                          10), kit.exhibition.view()["people"]
        people = [p for p in kit.exhibition.view()["people"] if len(p["seen"]) == 3]
        for person in people:
            assert frozenset(s["kit"] for s in person["seen"]) == everywhere
            assert [s["kit"] for s in person["seen"]] == ROOMS, "their route, in time order"
            assert person["confidence"] >= 0.75 and person["id"].startswith("hall-")
        assert sorted(p["id"] for p in people) == ["hall-101", "hall-102"], "the same ids on every kit"
    # each kit keeps the evidence of the links with its own people, as re-identifications of theirs
    cafe = kits.running["cafe"]
    cafe.store.flush(2)
    evidence = cafe.store.query(kind="reid", subject="track:201")
    assert {(o.value["with"]["kit"], o.value["with"]["track"]) for o in evidence} >= {("hall", "track:101")}
    assert all(o.value["exhibition"] and o.confidence >= 0.75 for o in evidence)


def test_the_api_gives_the_rooms_who_is_in_each_and_each_persons_route(kits):
    from web import create_app

    hall, cafe = kits.start("hall"), kits.start("cafe")
    assert kits.joined("hall", "cafe")
    play(hall, 0, [1])
    play(cafe, 1, [1])
    assert eventually(lambda: routes(hall), 10)
    data = create_app(hall, {"TESTING": True}).test_client().get("/api/exhibition").get_json()
    assert [k["name"] for k in data["kits"]] == ["hall", "cafe"]
    assert all(k["online"] is True and isinstance(k["people_now"], int) for k in data["kits"])
    person = next(p for p in data["people"] if len(p["seen"]) == 2)
    assert [s["kit"] for s in person["seen"]] == ["hall", "cafe"]
    assert all(isinstance(s["ts"], float) for s in person["seen"]) and 0.75 <= person["confidence"] <= 1


def test_without_shared_signatures_a_kits_people_stay_in_their_room(kits, mosquitto):
    """A kit with share_signatures off sends sightings without signatures: no other kit can link its people."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    heard = []
    observer = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="observer")
    observer.username_pw_set("observer", mosquitto.passwords["observer"])
    observer.on_message = lambda c, u, m: heard.append((m.topic, m.payload))
    observer.connect("127.0.0.1", mosquitto.port)
    observer.subscribe("awareness-kit/+/sighting", qos=1)
    observer.loop_start()
    try:
        hall = kits.start("hall", MQTT_SHARE_SIGNATURES="false")
        cafe = kits.start("cafe")
        assert kits.joined("hall", "cafe")
        play(hall, 0, [1])
        play(cafe, 1, [1])
        assert eventually(lambda: len(heard) >= 4, 10)
        sent_by_hall = [json.loads(p) for t, p in heard if t == "awareness-kit/hall/sighting"]
        assert sent_by_hall and all("signature" not in s for s in sent_by_hall)
        assert any("signature" in json.loads(p) for t, p in heard if t == "awareness-kit/cafe/sighting")
        # the hall, which keeps its signatures, still links the cafe's people with its own; the cafe cannot
        assert eventually(lambda: routes(hall), 10)
        assert not routes(cafe)
        assert cafe.exhibition.status()["share_signatures"] is True and hall.exhibition.status()[
            "share_signatures"] is False
    finally:
        observer.loop_stop()
        observer.disconnect()


def test_a_visitor_in_two_rooms_at_once_is_two_people(kits):
    hall, cafe = kits.start("hall"), kits.start("cafe")
    assert kits.joined("hall", "cafe")
    play(hall, 0, [1])
    play(cafe, 0, [1])          # the cafe sees the same visit, at the same time: a lookalike, not them
    assert eventually(lambda: len([s for s in hall.exhibition.people.sightings() if s.kit == "cafe"]) == 1, 10)
    assert not routes(hall) and track_of(0, type("V", (), {"number": 1})) == "track:101"
