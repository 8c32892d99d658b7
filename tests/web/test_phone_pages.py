"""What a phone is told, and told truly: the same visit after an answer, nothing stored after "forget me", the
guessed person's picture once it exists, the exhibition on a kit outside one, why a stream was refused."""

from __future__ import annotations

import time
from types import SimpleNamespace

from tests.web.conftest import csrf
from tests.web.test_you import arrive, snapshot


def test_an_answer_is_no_visit_and_after_forget_me_nothing_is_said_to_be_stored(client, kit, monkeypatch):
    monkeypatch.setattr(kit.visitors, "_in_view", lambda: [SimpleNamespace(id=61, first_seen=time.time(),
                                                                           looking=True)])
    subject = arrive(client)
    assert 'data-report="yes"' in client.get("/you").get_data(as_text=True), "opening the page is a visit"
    token = csrf(client, "/you")
    said = client.post("/you/answer", data={"csrf": token, "track": "track:61", "answer": "yes"})
    assert said.status_code == 303
    shown = client.get("/you").get_data(as_text=True)
    assert 'data-report="no"' in shown, "the page after an answer does not report a new visit"
    assert "You said this is right" in shown and kit.store.visitor(subject)["visits"] == 1
    assert 'data-report="yes"' in client.get("/you").get_data(as_text=True), "the next opening is a visit again"
    client.post("/you/forget", data={"csrf": token})
    after = client.get("/you").get_data(as_text=True)
    assert "stored with your visit" not in after
    assert "This page stores none of it now: you asked this kit to forget you." in after


def test_the_guess_part_shows_the_persons_picture_once_the_kit_has_kept_one(client, kit, monkeypatch):
    assert client.get("/you/guess").get_json()["picture"] is None, "an unknown phone: no guess, nothing stored"
    assert kit.store.side_rows("visitors")[0] == 0
    monkeypatch.setattr(kit.visitors, "_in_view", lambda: [SimpleNamespace(id=62, first_seen=time.time(),
                                                                           looking=True)])
    arrive(client)
    first = client.get("/you/guess").get_json()
    assert first["picture"] is None and "No picture was kept of this person." in first["parts"]["you-guess"]
    picture = snapshot(kit, "track:62")
    later = client.get("/you/guess")
    assert later.headers["Cache-Control"] == "no-store"
    part = later.get_json()["parts"]["you-guess"]
    assert later.get_json()["picture"]["id"] == picture and f'src="/snapshots/{picture}.jpg"' in part
    assert "person #62" in part and "No picture" not in part


def test_a_kit_outside_an_exhibition_says_so_plainly_without_an_empty_list(client, kit):
    assert not kit.exhibition.enabled
    page = client.get("/exhibition").get_data(as_text=True)
    assert "This kit is not part of an exhibition" in page
    assert 'id="rooms"' not in page and "<li>Nobody has been followed" not in page
    assert 'href="/exhibition"' not in client.get("/you").get_data(as_text=True), "not in the menu"


def test_the_exhibition_names_persons_as_the_other_pages_do_and_its_empty_state_is_no_list_item(app):
    from flask import render_template

    view = {"link": {"enabled": True, "message": None, "share_signatures": False}, "people": [],
            "kits": [{"name": "vm", "here": True, "online": True, "people_now": 2, "people": ["vm-19", 3]}]}
    with app.test_request_context("/exhibition"):
        page = render_template("exhibition.html", view=view, clock={}, admin=False, sent=None)
    assert "person #19, Person 3" in page and "vm-19" not in page
    assert '<p id="people">Nobody has been followed from one room to another yet.</p>' in page


def test_a_stream_refused_for_its_address_says_so_not_that_the_kit_is_full(app):
    from web.slots import Answer, ViewerSlots
    from web.views.stream import _busy

    slots = ViewerSlots(10, per_address=4, queue=True)
    with app.test_request_context("/stream.mjpg"):
        mine = _busy("camera view", slots, Answer(False, retry_after=30, reason="address"))
        full = _busy("camera view", slots, Answer(False, ticket="t", place=1, wait_s=5, retry_after=5, reason="full"))
    assert mine.headers["Refusal-Reason"] == "address" and "This address already has 4" in mine.get_data(as_text=True)
    assert full.headers["Refusal-Reason"] == "full" and full.headers["Queue-Ticket"] == "t"
