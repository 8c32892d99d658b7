"""Forget me everywhere: erasing on one kit erases that person's linked rows on every kit, derived rows included;
a kit that was away erases when it is back; an admin's forget everything reaches every kit."""

from __future__ import annotations

import time

from device.observations import Observation
from tests.exhibition.conftest import ROOMS
from tests.exhibition.scenes import play
from tests.helpers import eventually

VISITOR = "visitor:" + "ab" * 16


def followed(kits, number: int = 1) -> dict[str, str]:
    """Play visitor *number* through every running kit's room; wait until each kit links all of them."""
    tracks = {name: play(kit, ROOMS.index(name), [number])[number] for name, kit in kits.running.items()}
    for kit in kits.running.values():
        assert eventually(lambda kit=kit: any(len(p["seen"]) == len(tracks) for p in kit.exhibition.view()["people"]),
                          10), kit.exhibition.view()
    return tracks


def confirm(kit, track: str) -> None:
    """The visitor's phone was offered *track* on this kit, and said yes, it is me."""
    now = time.time()
    kit.observations.publish(Observation(now - 1, "phone", "correlation", VISITOR, {
        "track": track, "id": int(track.split(":")[1]), "confidence": 0.7, "reasons": [], "confirmed": None}, 0.7))
    kit.observations.publish(Observation(now, "phone", "correlation", VISITOR, {
        "track": track, "confirmed": True, "guessed_at": now - 1}, 1.0))
    kit.store.flush(2)
    assert kit.visitors.linked(VISITOR) == {track}


def rows_about(kit, track: str) -> int:
    """Every stored row about a track: its observations (the evidence of links included) and its side rows."""
    kit.store.flush(2)
    _, tracks = kit.store.side_rows("tracks", limit=1000)
    return kit.store.count(subject=track) + sum(row["subject"] == track for row in tracks)


def test_forget_me_on_one_kit_leaves_no_linked_row_on_any_kit(kits):
    for name in ROOMS:
        kits.start(name)
    assert kits.joined(*ROOMS)
    tracks = followed(kits)
    other = play(kits.running["hall"], 0, [2])[2]           # someone else, who stays
    hall = kits.running["hall"]
    confirm(hall, tracks["hall"])
    assert all(rows_about(kits.running[name], track) for name, track in tracks.items())

    erased = hall.forgetting.me(VISITOR)              # what /you does
    assert erased["correlation"] == 2 and erased.command
    assert eventually(lambda: hall.exhibition.progress(erased.command)["done"], 10), \
        hall.exhibition.progress(erased.command)
    progress = hall.exhibition.progress(erased.command)
    assert (progress["erased_on"], progress["of"], progress["waiting"]) == (3, 3, [])
    for name, track in tracks.items():
        kit = kits.running[name]
        assert rows_about(kit, track) == 0, name
        assert not any(track in s.key for s in kit.exhibition.people.sightings())
        assert not [o for o in kit.store.query(kind="reid", limit=1000) if o.value.get("with", {}).get("track")
                    in tracks.values()]
    assert rows_about(hall, other) > 0, "someone else's rows stay"


def test_a_kit_stopped_during_a_forget_erases_when_it_restarts(kits):
    for name in ROOMS:
        kits.start(name)
    assert kits.joined(*ROOMS)
    tracks = followed(kits)
    assert rows_about(kits.running["garden"], tracks["garden"]) > 0
    kits.stop("garden")
    hall = kits.running["hall"]
    confirm(hall, tracks["hall"])
    erased = hall.forgetting.me(VISITOR)
    assert eventually(lambda: hall.exhibition.progress(erased.command)["erased_on"] == 2, 10)
    assert hall.exhibition.progress(erased.command)["waiting"] == ["garden"]
    garden = kits.start("garden")                       # the same data directory, and the same session
    assert eventually(lambda: hall.exhibition.progress(erased.command)["done"], 15)
    assert rows_about(garden, tracks["garden"]) == 0


def test_a_forget_made_while_the_broker_is_down_goes_when_it_is_back(kits, mosquitto):
    hall, cafe = kits.start("hall"), kits.start("cafe")
    assert kits.joined("hall", "cafe")
    tracks = followed(kits)
    mosquitto.kill()
    assert eventually(lambda: hall.exhibition.status()["state"] == "down", 5)
    confirm(hall, tracks["hall"])
    erased = hall.forgetting.me(VISITOR)
    assert hall.exhibition.progress(erased.command)["erased_on"] == 1      # here, at once
    hall.stop()                                         # and the kit restarts before the broker is back
    kits.running.pop("hall")
    mosquitto.start()
    hall = kits.start("hall")
    assert eventually(lambda: hall.exhibition.progress(erased.command)["done"], 15)
    assert rows_about(cafe, tracks["cafe"]) == 0


def test_forget_everything_can_be_sent_to_every_kit_by_an_admin_only(kits):
    from tests.web.conftest import csrf
    from web import create_app

    hall, cafe = kits.start("hall"), kits.start("cafe")
    assert kits.joined("hall", "cafe")
    followed(kits)
    client = create_app(hall, {"TESTING": True}).test_client()
    token = csrf(client, "/admin")
    assert client.post("/exhibition/forget-all", data={"csrf": token}).status_code == 403
    assert "Forget everything on every kit" not in client.get("/exhibition").get_data(as_text=True)
    assert cafe.store.count(kind="person") > 0
    pin = hall.admin.reset()
    client.post("/admin/login", data={"pin": pin, "csrf": csrf(client, "/admin")},
                environ_base={"REMOTE_ADDR": "127.0.0.1"})
    page = client.get("/exhibition").get_data(as_text=True)
    assert "Forget everything on every kit" in page
    response = client.post("/exhibition/forget-all", data={"csrf": csrf(client, "/exhibition")})
    assert response.status_code == 303
    # the cafe drops its sightings from memory just after it erased its store
    assert eventually(lambda: cafe.store.count(kind="person") == 0 and cafe.store.count(kind="reid") == 0
                      and not cafe.exhibition.people.sightings(), 10)
    assert hall.store.count(kind="person") == 0
