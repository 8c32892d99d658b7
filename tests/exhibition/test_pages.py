"""/exhibition on a phone, in both languages; the forget command's progress for the visitor's phone."""

from __future__ import annotations

from tests.exhibition.scenes import play
from tests.exhibition.test_forget import VISITOR, confirm, followed
from tests.helpers import eventually


def test_the_page_shows_the_rooms_and_the_route_in_english_and_serbian(kits):
    from web import create_app

    hall, cafe = kits.start("hall"), kits.start("cafe")
    assert kits.joined("hall", "cafe")
    play(hall, 0, [1])
    play(cafe, 1, [1])
    assert eventually(lambda: any(len(p["seen"]) == 2 for p in hall.exhibition.view()["people"]), 10)
    client = create_app(hall, {"TESTING": True}).test_client()
    english = client.get("/exhibition?lang=en").get_data(as_text=True)
    assert 'name="viewport"' in english and "<strong>cafe</strong>" in english and "(this kit)" in english
    assert "Person hall-101" in english and "% the same appearance" in english
    assert "This kit sends the other kits the appearance and face signatures" in english
    serbian = client.get("/exhibition?lang=sr").get_data(as_text=True)
    assert '<html lang="sr">' in serbian and "Osoba hall-101" in serbian and "Prostorije" in serbian
    assert "Exhibition link down" not in english


def test_the_visitors_phone_can_follow_its_forget_command(kits):
    from web import create_app

    hall = kits.start("hall")
    kits.start("cafe")
    assert kits.joined("hall", "cafe")
    tracks = followed(kits)
    confirm(hall, tracks["hall"])
    erased = hall.forgetting.me(VISITOR)
    client = create_app(hall, {"TESTING": True}).test_client()
    assert eventually(lambda: client.get(f"/api/exhibition/forget/{erased.command}").get_json()["done"], 10)
    progress = client.get(f"/api/exhibition/forget/{erased.command}").get_json()
    assert (progress["erased_on"], progress["of"], progress["kits"]) == (2, 2, ["cafe", "hall"])
    assert client.get("/api/exhibition/forget/0123456789abcdef").status_code == 404
    assert client.get("/api/exhibition/forget/nope").status_code == 400
