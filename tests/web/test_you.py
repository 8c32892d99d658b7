"""The visitor's own page: what their phone revealed, the guess at which person they are, "forget me"."""

from __future__ import annotations

import re
import time

from device.observations import Observation
from tests.web.conftest import csrf


def test_a_visitor_sees_what_their_phone_revealed_and_can_forget_themselves(client, kit):
    page = client.get("/you", headers={"User-Agent": "Mozilla/5.0 <script>alert(1)</script>",
                                       "Accept-Language": "sr-Latn,en;q=0.8"}).get_data(as_text=True)
    assert "sr-Latn,en;q=0.8" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    subject = re.search(r"<code>(visitor:[0-9a-f]{32})</code>", page).group(1)
    kit.observations.publish(Observation(2.0, "phone", "correlation", subject, {"track": "track:42"}))
    kit.observations.publish(Observation(2.0, "camera", "person", "track:42", {"state": "left", "dwell_s": 3.0,
                                                                              "looked": 1, "trajectory": []}))
    kit.observations.publish(Observation(2.0, "camera", "person", "track:43", {"state": "left", "dwell_s": 3.0}))
    assert kit.store.flush(5)
    assert re.search(r"visit number\s+<strong>2</strong>", client.get("/you").get_data(as_text=True))
    response = client.post("/you/forget", data={"csrf": csrf(client, "/you")})
    assert response.status_code == 303
    assert "ak_visitor=;" in response.headers.get("Set-Cookie", "")
    after = client.get("/you").get_data(as_text=True)
    assert re.search(r"Done: \d+ items about you were erased", after)
    assert kit.store.count(subject=subject) == 0 and kit.store.count(subject="track:42") == 0
    assert kit.store.count(subject="track:43") == 1, "someone else's track stays"


def test_the_phone_is_linked_to_the_person_in_view_and_a_no_keeps_their_data(client, kit):
    from tests.helpers import eventually

    assert eventually(lambda: kit.watching.in_view(), 10)
    page = client.get("/you").get_data(as_text=True)
    match = re.search(r"We think you are <strong>person #(\d+)</strong> on the camera \((\d+)%", page)
    assert match and 0 < int(match.group(2)) <= 95 and re.search(r"because\s+you appeared", page)
    track = f"track:{match.group(1)}"
    kit.observations.publish(Observation(time.time(), "camera", "face", track, {"count": 1}))
    client.post("/you/answer", data={"csrf": csrf(client, "/you"), "track": track, "answer": "no"})
    assert kit.store.flush(5)
    assert "You said this is wrong" in client.get("/you").get_data(as_text=True)
    client.post("/you/forget", data={"csrf": csrf(client, "/you")})
    assert kit.store.count(subject=track) >= 1, "someone else's data is not erased on a wrong guess"
    assert client.post("/you/answer", data={"csrf": csrf(client, "/you"), "track": "<x>"}).status_code == 400


def test_what_the_browser_reveals_is_stored_bounded(client, kit):
    token = csrf(client, "/you")
    response = client.post("/you/reveal", data={"csrf": token, "time_zone": "Europe/Belgrade",
                                                "screen": "390 x 844" + "x" * 500, "secret": "ignored"})
    assert response.get_json()["stored"]["time_zone"] == "Europe/Belgrade"
    assert len(response.get_json()["stored"]["screen"]) == 100
    page = client.get("/you").get_data(as_text=True)
    assert "Europe/Belgrade" in page and "ignored" not in page
