"""/data, everything stored, phone first: a summary per kind, the rows as cards, the side tables with their own
pagers, and the snapshots' pictures (GET /snapshots/<id>.jpg), never a clear face on a phone unless allowed."""

from __future__ import annotations

import html as htmllib
import math
import os
import re
from urllib.parse import parse_qs, urlsplit

import cv2
import numpy as np
import pytest

from device.observations import KINDS, Observation
from web.views.pages import PER_PAGE, SIDE_PER_PAGE

PHONE = {"REMOTE_ADDR": "192.168.4.20"}


def section(html: str, name: str) -> str:
    """The part of /data for one list: "rows" (the observations) or a side table's name."""
    if name == "rows":
        return html.split('id="rows"', 1)[1].split('id="table-tracks"', 1)[0]
    return html.split(f'id="table-{name}"', 1)[1].split("</section>", 1)[0]


def pager_links(part: str) -> dict[str, tuple[dict[str, str], str]]:
    """The pager's links in a part of the page, by their words: {"older": (query, fragment), ...}."""
    nav = re.search(r'<nav class="pager".*?</nav>', part, re.S)
    assert nav, "the list has a pager"
    found = {}
    for href, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav.group(0)):
        url = urlsplit(htmllib.unescape(href))
        words = re.sub(r"[^a-z]", "", text.lower())
        found[words] = ({key: values[0] for key, values in parse_qs(url.query).items()}, url.fragment)
    return found


def a_picture(width: int = 160, height: int = 200) -> np.ndarray:
    """A picture full of sharp detail (a fine checkerboard, noise), as a clear face has edges."""
    y, x = np.mgrid[:height, :width]
    board = (((x // 4) + (y // 4)) % 2 * 200 + 25).astype(np.uint8)
    noise = np.random.default_rng(7).integers(0, 40, (height, width), dtype=np.uint8)
    return cv2.merge([board, cv2.add(board, noise), board[::-1]])


def keep_snapshot(kit, name: str, *, blurred: bool, subject: str = "track:501", jpeg: bytes | None = None) -> int:
    """A snapshot file and its row, as the kit keeps them; returns the row's id."""
    folder = kit.config.data_dir / "snapshots"
    folder.mkdir(exist_ok=True)
    if jpeg is None:
        jpeg = cv2.imencode(".jpg", a_picture(), [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    (folder / name).write_bytes(jpeg)
    kit.observations.publish(Observation(1000.0, "camera", "snapshot", subject,
                                         {"file": f"snapshots/{name}", "blurred": blurred}))
    assert kit.store.flush(5)
    return next(r["id"] for r in kit.store.side_rows("snapshots", limit=1000)[1] if r["file"] == f"snapshots/{name}")


def sharpness(jpeg: bytes) -> float:
    grey = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


# ---- the snapshots' pictures

def test_a_listed_snapshot_is_served_as_a_jpeg_cached_privately_and_revalidated(client, kit):
    id_ = keep_snapshot(kit, "track-501-1.jpg", blurred=True)
    stored = (kit.config.data_dir / "snapshots" / "track-501-1.jpg").read_bytes()
    response = client.get(f"/snapshots/{id_}.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg" and response.data == stored
    assert {"private", "no-cache"} <= {d.strip() for d in response.headers["Cache-Control"].split(",")}
    again = client.get(f"/snapshots/{id_}.jpg", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.get(f"/snapshots/{id_}.jpg", environ_base=PHONE).data == stored, "stored blurred: as it is"


def test_an_unknown_snapshot_or_a_file_gone_is_a_404_with_the_reason(client, kit):
    unknown = client.get("/snapshots/987654.jpg")
    assert unknown.status_code == 404 and "no snapshot 987654" in unknown.get_data(as_text=True)
    assert client.get("/snapshots/abc.jpg").status_code == 404
    assert client.get("/snapshots/-1.jpg").status_code == 404
    id_ = keep_snapshot(kit, "track-501-2.jpg", blurred=True)
    (kit.config.data_dir / "snapshots" / "track-501-2.jpg").unlink()
    gone = client.get(f"/snapshots/{id_}.jpg")
    assert gone.status_code == 404 and "is gone from the disk" in gone.get_data(as_text=True)
    assert "Traceback" not in gone.get_data(as_text=True)


def test_only_files_in_the_snapshots_folder_are_served_whatever_a_row_names(client, kit):
    data_dir = kit.config.data_dir
    picture = cv2.imencode(".jpg", a_picture())[1].tobytes()
    (data_dir / "outside.jpg").write_bytes(picture)
    (data_dir / "snapshots").mkdir(exist_ok=True)
    (data_dir / "snapshots" / "link.jpg").symlink_to(data_dir / "outside.jpg")
    for i, name in enumerate(("snapshots/../outside.jpg", "../awareness.db", "snapshots/link.jpg", "/etc/passwd")):
        kit.observations.publish(Observation(1000.0, "camera", "snapshot", f"track:{600 + i}",
                                             {"file": name, "blurred": True}))
    assert kit.store.flush(5)
    rows = [r for r in kit.store.side_rows("snapshots", limit=1000)[1] if r["subject"].startswith("track:6")]
    assert len(rows) == 4
    for row in rows:
        answer = client.get(f"/snapshots/{row['id']}.jpg")
        assert answer.status_code == 404 and answer.data != picture, row["file"]
        assert "not a snapshot file the kit can read" in answer.get_data(as_text=True)


def test_a_phone_never_gets_a_clear_face_while_blurring_is_on(client, kit):
    assert kit.privacy.settings["blur_public"], "the default"
    id_ = keep_snapshot(kit, "track-502-1.jpg", blurred=False, subject="track:502")
    clear = (kit.config.data_dir / "snapshots" / "track-502-1.jpg").read_bytes()
    phone = client.get(f"/snapshots/{id_}.jpg", environ_base=PHONE)
    assert phone.status_code == 200 and phone.mimetype == "image/jpeg" and phone.data != clear
    seen = cv2.imdecode(np.frombuffer(phone.data, np.uint8), cv2.IMREAD_COLOR)
    original = cv2.imdecode(np.frombuffer(clear, np.uint8), cv2.IMREAD_COLOR)
    assert seen.shape == original.shape, "the same picture, blurred"
    assert sharpness(phone.data) < sharpness(clear) / 50, "smoothed: no edge of a face is left"
    assert np.abs(seen.astype(int) - original.astype(int)).mean() > 20
    kiosk = client.get(f"/snapshots/{id_}.jpg")
    assert kiosk.data == clear, "the device's own screen shows it as stored"
    assert kiosk.headers["ETag"] != phone.headers["ETag"], "a browser never takes one for the other"
    kit.privacy.update(blur_public=False)       # an administrator allows clear faces
    assert client.get(f"/snapshots/{id_}.jpg", environ_base=PHONE).data == clear


def test_a_clear_picture_that_cannot_be_blurred_is_not_shown_to_a_phone_at_all(client, kit):
    id_ = keep_snapshot(kit, "track-503-1.jpg", blurred=False, subject="track:503", jpeg=b"\xff\xd8 not a picture")
    phone = client.get(f"/snapshots/{id_}.jpg", environ_base=PHONE)
    assert phone.status_code == 404 and "cannot be blurred" in phone.get_data(as_text=True)
    assert b"not a picture" not in phone.data
    assert client.get(f"/snapshots/{id_}.jpg").status_code == 200, "the kiosk gets the file as it is"


def test_the_data_page_shows_each_snapshot_as_a_lazy_picture_of_its_size(client, kit):
    id_ = keep_snapshot(kit, "track-504-1.jpg", blurred=True, subject="track:504")
    html = client.get("/data?subject=track:504").get_data(as_text=True)
    pictures = section(html, "snapshots")
    tag = re.search(rf'<img src="/snapshots/{id_}.jpg"[^>]*>', pictures)
    assert tag, "the snapshots table shows the picture, not just its file's name"
    assert 'loading="lazy"' in tag.group(0) and 'width="160"' in tag.group(0) and 'height="200"' in tag.group(0)
    assert re.search(r'alt="[^"]*track:504[^"]*"', tag.group(0))
    assert f'src="/snapshots/{id_}.jpg"' in section(html, "rows"), "and the snapshot's row, among the cards"
    assert "<code>snapshots/track-504-1.jpg</code>" in pictures


# ---- the page: summary, cards, side tables

def test_the_data_page_shows_every_stored_kind_with_its_explanation_and_rows(client, kit):
    kit.observations.publish(Observation(1000.0, "microphone", "sound_level", None,
                                         {"dbfs": -40.5, "peak_dbfs": -30.0, "spl_db": 60.0, "speaking": False}))
    assert kit.store.flush(5)
    html = client.get("/data").get_data(as_text=True)
    summary = html.split('id="kinds"', 1)[1].split('id="rows"', 1)[0]
    for kind in KINDS.values():
        assert f'id="kind-{kind.name}"' in summary and kind.reveals in summary and kind.real_world in summary
        assert f'href="/data?kind={kind.name}#rows"' in summary
    assert "kept 24" in summary and "<table" not in html, "cards, not wide tables"
    only = section(client.get("/data?kind=sound_level&until=1001").get_data(as_text=True), "rows")
    assert "Sound level -40.5 dBFS, about 60 dB SPL (loudest moment -30 dBFS)" in only
    assert "<code>dbfs</code>" in only and "<strong>Sound level</strong>" in only
    assert "<strong>Distance</strong>" not in only


def test_stored_values_read_as_sentences_and_fields_not_json_and_long_ones_fold(client, kit):
    kit.observations.publish(Observation(1000.0, "camera", "face", None, {
        "count": 2, "looking": 1, "smiling": 0, "boxes": [[10, 20, 30, 40], [50, 60, 70, 80]]}, 0.8))
    kit.observations.publish(Observation(1001.0, "camera", "face", "track:9", {"count": 1, "note": "n" * 500}))
    assert kit.store.flush(5)
    rows = section(client.get("/data?kind=face&until=1002").get_data(as_text=True), "rows")
    assert "Faces in view: 2; looking at the camera: 1; smiling: 0" in rows and "confidence 80%" in rows
    assert '{"count"' not in rows and "&#34;count&#34;" not in rows, "no raw JSON"
    assert "<code>boxes</code>" in rows and "[[10, 20, 30, 40], [50, 60, 70, 80]]" in rows
    long = re.search(r'<details class="long"><summary>(n+)…</summary><span class="whole">(n+)</span>', rows)
    assert long and len(long.group(1)) < 80 and len(long.group(2)) == 500, "shortened, the whole a tap away"
    serbian = section(client.get("/data?kind=face&until=1002&lang=sr").get_data(as_text=True), "rows")
    assert "Lica u kadru: 2; gledaju u kameru: 1; smeše se: 0" in serbian and "pouzdanost 80%" in serbian


def test_nothing_is_stored_that_the_data_page_cannot_show(client, kit):
    """Every table and column of the database, and every file under the data directory, is on /data."""
    from pathlib import Path

    kit.observations.publish(Observation(5.0, "camera", "person", "track:99", {
        "id": 99, "state": "left", "dwell_s": 2.0, "looked": 1, "trajectory": [[5.0, 1, 2]],
        "signature": {"clothes": [0.1], "face": None}}, 0.5))
    kit.store.record_visit("visitor:abc", 6.0, {"user_agent": "test"})
    keep_snapshot(kit, "track-99-1.jpg", blurred=True, subject="track:99")
    assert kit.store.flush(5)
    track = client.get("/data?subject=track:99").get_data(as_text=True)
    phone = client.get("/data?subject=visitor:abc").get_data(as_text=True)
    html = track + phone
    for table, columns in kit.store.tables().items():
        assert f"<code>{table}</code>" in html, f"table {table} is not shown"
        part = section(phone if table == "visitors" else track, "rows" if table == "observations" else table)
        for column in columns:
            assert f'data-column="{column}"' in part, f"{table}.{column} is not shown"
    data_dir = kit.config.data_dir
    for root, _, names in os.walk(data_dir):
        for name in names:
            relative = str((Path(root) / name).relative_to(data_dir))
            assert f"<code>{relative}</code>" in html, f"{relative} is stored but not shown"
    assert "visitor:abc" in html and "track:99" in html


def test_a_tracks_long_path_and_signature_are_summarised_and_whole_behind_a_tap(client, kit):
    path = [[5.0 + i, 100 + i, 200] for i in range(40)]
    kit.observations.publish(Observation(50.0, "camera", "person", "track:98", {
        "id": 98, "state": "left", "dwell_s": 40.0, "looked": 2, "trajectory": path,
        "signature": {"clothes": [0.5] * 48, "face": [0.25] * 64}}))
    assert kit.store.flush(5)
    tracks = section(client.get("/data?subject=track:98").get_data(as_text=True), "tracks")
    assert "<details class=\"table\" open>" in tracks, "a subject's own rows are open"
    assert "40 points, from (100, 200) to (139, 200)" in tracks
    assert "<code>clothes</code>: 48 numbers · <code>face</code>: 64 numbers" in tracks
    assert tracks.count('<span class="whole">') == 2 and "[139" not in tracks.split("<details", 3)[2].split(
        "</summary>")[0], "the whole path, folded"
    collapsed = section(client.get("/data").get_data(as_text=True), "tracks")
    assert "<details class=\"table\">" in collapsed, "collapsed by default"


def test_the_data_page_pages_and_filters(client, kit):
    for i in range(120):
        kit.observations.publish(Observation(1000.0 + i, "camera", "face", "track:5", {"count": i}))
    assert kit.store.flush(5)
    pages = math.ceil(120 / PER_PAGE)
    first = client.get("/data?subject=track:5").get_data(as_text=True)
    assert "120 rows match" in first and f"page 1 of {pages}" in first
    assert "<code>count</code></dt><dd>119</dd>" in first
    last = client.get(f"/data?subject=track:5&page={pages}").get_data(as_text=True)
    assert "<dd>0</dd>" in section(last, "rows") and ">119</dd>" not in section(last, "rows")
    window = client.get("/data?subject=track:5&since=1009.5&until=1019").get_data(as_text=True)
    assert "10 rows match" in window
    assert client.get("/data?since=yesterday").status_code == 400
    assert client.get("/data?page=0").status_code == 400
    assert client.get("/data?table=secrets").status_code == 400


@pytest.mark.parametrize("query, name", [
    ("tracks_page=0", "tracks_page"), ("visitors_page=abc", "visitors_page"),
    ("snapshots_page=%C2%B2", "snapshots_page"), ("tracks_page=1%00", "tracks_page"),
    ("visitors_page=" + "9" * 50, "visitors_page"),
])
def test_each_tables_page_answers_bad_input_with_a_400_and_the_reason(client, query, name):
    answer = client.get(f"/data?{query}")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400 and f"{name} must be a whole number from 1" in text and "Traceback" not in text


def fill_faces_and_visitors(kit, faces: int = 60, visitors: int = 30) -> None:
    """Rows from 1970 (ts 1000...): filled after the kit's first housekeeping round, which would prune them as too
    old (the next is a minute later); CI once saw it prune one of the visitors as they were written."""
    from tests.helpers import eventually

    assert eventually(lambda: kit.retention.disk, timeout=20), "the kit's first housekeeping round"
    for i in range(faces):
        kit.observations.publish(Observation(1000.0 + i, "camera", "face", "track:5", {"count": i}))
    for i in range(visitors):
        kit.store.record_visit(f"visitor:{i:03}", 1000.0 + i, {"user_agent": f"phone {i}"})
    assert kit.store.flush(5)


def test_every_pager_link_keeps_the_filters_and_the_other_lists_pages_and_lands_on_its_list(client, kit):
    fill_faces_and_visitors(kit)
    filters = {"kind": "face", "since": "999", "until": "1100"}
    html = client.get("/data?kind=face&since=999&until=1100&page=2&visitors_page=2").get_data(as_text=True)
    rows = pager_links(section(html, "rows"))
    assert rows["older"] == ({**filters, "page": "3", "visitors_page": "2"}, "rows")
    assert rows["newer"] == ({**filters, "page": "1", "visitors_page": "2"}, "rows")
    visitors = pager_links(section(html, "visitors"))
    assert visitors["older"] == ({**filters, "page": "2", "visitors_page": "3"}, "table-visitors")
    assert visitors["newer"] == ({**filters, "page": "2", "visitors_page": "1"}, "table-visitors")
    assert '<details class="table" open>' in section(html, "visitors"), "the table paged is open"
    moved = client.get("/data?kind=face&since=999&until=1100&page=2&visitors_page=3").get_data(as_text=True)
    assert "page 2 of 3" in section(moved, "rows"), "the side table's pager leaves the rows' alone"
    assert "page 3 of 3" in section(moved, "visitors")
    form = section(moved, "rows").split("</form>", 1)[0]
    assert 'value="999"' in form and 'value="1100"' in form and '<option value="face" selected>' in form


def test_a_page_past_the_end_shows_the_last_pages_rows_and_says_so(client, kit):
    fill_faces_and_visitors(kit)
    html = client.get("/data?kind=face&since=999&until=1100&page=999").get_data(as_text=True)
    rows = section(html, "rows")
    assert "page 3 of 3" in rows and "There is no page 999: this is the last one." in rows
    shown = [int(n) for n in re.findall(r'<code>count</code></dt><dd>(\d+)</dd>', rows)]
    assert shown == list(range(19, -1, -1)), "the last page's rows, not none"
    assert pager_links(rows)["newer"][0]["page"] == "2"
    visitors = section(client.get("/data?visitors_page=999").get_data(as_text=True), "visitors")
    last = math.ceil(30 / SIDE_PER_PAGE)
    assert f"page {last} of {last}" in visitors and "visitor:000" in visitors and "There is no page 999" in visitors


def test_older_links_with_table_and_page_still_work(client, kit):
    fill_faces_and_visitors(kit, faces=0)
    visitors = client.get("/data?table=visitors&page=999").get_data(as_text=True)
    part = section(visitors, "visitors")
    assert "visitor:000" in part and "There is no page 999" in part and "page 3 of 3" in part
    assert "page 999" not in section(visitors, "rows") and "There is no page" not in section(visitors, "rows")
    second = client.get("/data?table=visitors&page=2").get_data(as_text=True)
    assert "page 2 of 3" in section(second, "visitors") and "There is no page" not in second


def test_a_subject_narrows_the_side_tables_too(client, kit):
    for n in (97, 96):
        kit.observations.publish(Observation(50.0, "camera", "person", f"track:{n}", {
            "id": n, "state": "left", "dwell_s": 1.0, "looked": 0, "trajectory": [[49.0, 1, 2]]}))
    assert kit.store.flush(5)
    html = client.get("/data?subject=track:97").get_data(as_text=True)
    assert "track:97" in section(html, "tracks") and "track:96" not in section(html, "tracks")
    assert "The tables below show only track:97's rows." in html


def test_a_snapshot_id_too_large_for_the_database_is_a_404_not_a_500(client):
    response = client.get("/snapshots/99999999999999999999.jpg")
    assert response.status_code == 404 and b"no snapshot" in response.data


def test_a_phone_sees_what_only_its_own_visit_revealed(client, kit):
    """/data lists every phone's visit, but what a phone revealed (its address, user agent, battery...) only to
    that phone and to the device's own screen: a visitor reaches only their own data."""
    from tests.web.conftest import give_cookie
    from web.visitor import VISITOR_COOKIE

    token = "ab" * 32
    kit.store.record_visit(kit.visitors.subject_of(token), 1000.0, {"user_agent": "my own phone"})
    kit.store.record_visit("visitor:" + "1" * 32, 1001.0, {"user_agent": "somebody else's phone"})
    assert kit.store.flush(5)
    local = client.get("/data?visitors_page=1").get_data(as_text=True)
    assert "my own phone" in local and "somebody else&#39;s phone" in local
    stranger = client.get("/data?visitors_page=1", environ_base=PHONE).get_data(as_text=True)
    assert "my own phone" not in stranger and "somebody else" not in stranger
    assert stranger.count("Shown only to that phone") == 2
    give_cookie(client, VISITOR_COOKIE, token)
    mine = client.get("/data?visitors_page=1", environ_base=PHONE).get_data(as_text=True)
    assert "my own phone" in mine and "somebody else" not in mine


# ---- numbers and stored fields in the page's language

TAGS = re.compile(r"<(script|style|code)\b.*?</\1>|<[^>]+>", re.S)    # code: names and values as stored, not prose


def visible(html: str) -> str:
    return htmllib.unescape(TAGS.sub(" ", html))


POINT_DECIMAL = re.compile(r"(?<![\d.,])\d+\.\d{1,2}(?![\d.])")    # 0.77, 49.7, 15.0 (not 1.302 grouping, nor 3.0.1)
COMMA_DECIMAL = re.compile(r"(?<![\d.,])\d+,\d{1,2}(?![\d,])")     # 0,77, 15,0


def test_every_number_on_the_pages_is_written_as_their_language_writes_it(client, kit):
    """Serbian pages write 0,77 and English ones 0.77, in the first render too (the live figures as the scripts
    write them: 15,0 slika/s) and in every field of an expanded row; sizes in one unit system (MiB)."""
    kit.observations.publish(Observation(1_796_052_652.99, "microphone", "voice", None, {
        "start": 1_796_052_652.99, "end": 1_796_052_655.5, "pitch_hz": 201.3,
        "claimed": "typical of an adult woman's voice (165-255 Hz), so such systems would label it 'female'"}, 0.7))
    kit.observations.publish(Observation(1_796_052_660.0, "camera", "face", None, {
        "count": 1, "boxes": [[0.12, 0.5, 0.25, 0.75]]}, 0.66))
    assert kit.store.flush(5)
    for lang, wrong in (("sr", POINT_DECIMAL), ("en", COMMA_DECIMAL)):
        for path in ("/", "/data"):
            text = visible(client.get(f"{path}?lang={lang}").get_data(as_text=True))
            assert not wrong.findall(text), f"{path} in {lang}: {wrong.findall(text)[:5]}"
    data_sr = visible(client.get("/data?lang=sr").get_data(as_text=True))
    assert "pouzdanost" in data_sr and "0,7" in data_sr and "[[0,12; 0,5; 0,25; 0,75]]" in data_sr
    assert re.search(r"Slobodno je [\d.]+ MiB\.", data_sr) and not re.search(r"\d MB", data_sr), "one unit system: MiB"
    home_sr = client.get("/?lang=sr").get_data(as_text=True)
    assert re.search(r'<span id="fps">\d+,\d</span>', home_sr), "the first render as the script writes it: 15,0"


def test_a_rows_fields_read_as_times_translated_texts_and_numbers_the_stored_value_a_tap_away(client, kit):
    when = 1_796_052_652.99
    claim = "typical of an adult woman's voice (165-255 Hz), so such systems would label it 'female'"
    kit.observations.publish(Observation(when, "microphone", "voice", None,
                                         {"start": when, "from": when - 48.5, "pitch_hz": 201.3, "claimed": claim}))
    assert kit.store.flush(5)
    from web.i18n import translations
    sr = translations("sr")
    rows = section(client.get("/data?kind=voice&lang=sr").get_data(as_text=True), "rows")
    shown = visible(rows)
    assert sr.timestamp(when) in shown and sr.timestamp(when - 48.5) in shown, "times as local times"
    assert "1796052652.99" not in shown and "201,3" in shown
    assert sr.gettext(claim) != claim and sr.gettext(claim)[:40] in htmllib.unescape(rows), "the claim in Serbian"
    assert claim not in shown, "the English text only as stored, in code"
    stored = re.findall(r'<span class="whole as-stored">kako je sačuvano: <code translate="no">([^<]*)</code>', rows)
    assert "1796052604.49" in stored and "1796052652.99" in stored and claim in map(htmllib.unescape, stored)
    english = visible(section(client.get("/data?kind=voice&lang=en").get_data(as_text=True), "rows"))
    assert translations("en").timestamp(when) in english and claim[:40] in english
