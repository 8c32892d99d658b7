"""The notice is written from the state, never by hand: every kind has its text, each config and detector changes
what it says, in both languages, and the command line writes the same offline."""

from __future__ import annotations

import ast
import dataclasses
import re
import time
from pathlib import Path

import pytest

from device.cli import main
from device.config import load_config, setting
from device.notice.cli import gettext_for
from device.notice.document import build
from device.notice.kinds import NEEDS, NOTES, SPECIAL, note_for
from device.notice.lesson import MINORS, STEPS, WORKSHEET, Lesson, figures
from device.notice.markdown import sign_markdown, to_markdown
from device.notice.operator import NoticeConfig
from device.notice.state import LiveState, plate_reader, recogniser, under_the_service
from device.observations import KINDS, Kind
from web.i18n import HERE, load_catalog

ROOT = Path(__file__).resolve().parents[2]
EN, SR = gettext_for("en"), gettext_for("sr")
URL = "http://kit.test:8000/"


def state(*, recognition="dlib face embedding", plate_reader="PP-OCR plate reader", words=("hello",), **config):
    """A kit's state as LiveState.of_kit() reads it: *config* as SECTION_KEY=value, the detectors given."""
    cfg = load_config(environ={f"AWARENESS_KIT_{k}": str(v) for k, v in config.items()})
    return LiveState(config=cfg, kinds=dict(KINDS), blur_public=cfg.vision.blur_faces,
                     kiosk_clear=cfg.vision.kiosk_clear_faces, vision=True, recognition=recognition, plates=True,
                     plate_reader=plate_reader, words=words, record=cfg.mic.record)


def stored_kinds(notice) -> set[str]:
    section = next(s for s in notice.sections if s.id == "stored")
    return {e.kind for e in section.entries if e.kind}


def text(notice) -> str:
    return to_markdown(notice)


# ---- every kind has its notice text

def test_every_registered_kind_has_its_notice_text():
    missing = sorted(set(KINDS) - set(NOTES))
    assert missing == [], f"kinds with no notice text in device/notice/kinds.py: {missing}"
    assert sorted(set(NOTES) - set(KINDS)) == [], "notice texts of kinds that are no longer registered"
    for name, note in NOTES.items():
        assert note.needs in NEEDS and note.special in SPECIAL, name
        assert note.category and note.risk, name


def test_a_kind_registered_without_a_text_is_caught_and_face_embeddings_are_special(monkeypatch):
    monkeypatch.setitem(KINDS, "face_embedding", Kind("face_embedding", "camera", "Face embeddings", "vector",
                                                       "128 numbers per face.", "Watch lists."))
    assert sorted(set(KINDS) - set(NOTES)) == ["face_embedding"]        # what the test above would report
    assert note_for("face_embedding").special == "always"
    assert state(recognition=None).special("face_embedding")
    assert "face_embedding" in stored_kinds(build(state(), EN, url=URL))


def test_biometric_kinds_are_special_only_while_a_recogniser_runs():
    with_it, without = state(), state(recognition=None)
    assert with_it.special("person") and with_it.special("reid") and not with_it.special("face")
    assert not without.special("person") and not without.special("reid")
    notice = build(with_it, EN, url=URL)
    assert notice.sign.special and "special category" in notice.sign.special
    assert any(s.id == "purpose" and any(e.special for e in s.entries) for s in notice.sections)
    assert build(without, EN, url=URL).sign.special is None


def test_the_detector_names_the_vision_pipeline_reports_are_understood():
    pytest.importorskip("cv2")
    from device.vision.plates import PlateDetector, PlateReader
    from device.vision.recognition import FaceRecogniser

    assert recogniser(FaceRecogniser.name) == FaceRecogniser.name
    assert recogniser("appearance signature (clothes, face pattern)") is None and recogniser(None) is None
    assert plate_reader(PlateReader.name) == PlateReader.name and plate_reader(PlateDetector.name) is None


def test_the_hardened_service_is_recognised_by_its_control_group(tmp_path):
    cgroup = tmp_path / "cgroup"
    cgroup.write_text("0::/system.slice/awareness-kit.service\n")
    assert under_the_service(cgroup)
    cgroup.write_text("0::/user.slice/user-1000.slice/user@1000.service/app.slice/gnome-terminal.service\n")
    assert not under_the_service(cgroup) and not under_the_service(tmp_path / "missing")


# ---- the config's [notice] section

def test_the_notice_section_is_declared_like_every_other_setting():
    assert NoticeConfig.__dataclass_fields__["operator"].metadata.keys() == setting(1, "").metadata.keys()
    config = load_config(environ={"AWARENESS_KIT_NOTICE_OPERATOR": "Muzej nauke i tehnike"})
    assert config.notice.operator == "Muzej nauke i tehnike"
    assert "Poverenik" in config.notice.authority and "87/2018" in config.notice.legal_basis


# ---- configs change what it says, in both languages

@pytest.mark.parametrize("gettext, kept, six", [(EN, "Kept at most 6 h", "kept 6 h"),
                                                (SR, "Čuva se najviše 6 h", "čuva se 6 h")])
def test_retention_is_said_as_configured(gettext, kept, six):
    notice = build(state(STORE_RETENTION_H=6, STORE_RETENTION_BY_KIND="motion=2"), gettext, url=URL)
    assert notice.sign.retention.startswith(kept)
    entries = {e.kind: e for s in notice.sections if s.id == "stored" for e in s.entries if e.kind}
    assert six in entries["face"].marks and six not in entries["motion"].marks
    assert "24 h" not in text(notice)


def test_raw_audio_and_stored_words_on_are_listed_and_off_says_so():
    off = build(state(), EN, url=URL)
    assert {"audio_clip", "keyword"}.isdisjoint(stored_kinds(off))
    assert "Recording sound: off (raw audio is never stored)." in off.sign.off
    assert "Storing the words heard: off (they are shown live only)." in off.sign.off
    on = build(state(MIC_RECORD="true", MIC_CLIP_RETENTION_H=2, MIC_STORE_WORDS="true"), EN, url=URL)
    assert {"audio_clip", "keyword"} <= stored_kinds(on) and on.sign.off == []
    assert "Recorded sound files: 2 h." in on.sign.retention
    guard = next(e for s in on.sections if s.id == "safeguards" for e in s.entries if e.title == "Raw sound never kept")
    assert guard.marks == ["OFF"]
    sr = build(state(MIC_RECORD="true"), SR, url=URL)
    assert "Snimanje zvuka: isključeno (sirovi zvuk se nikada ne čuva)." not in sr.sign.off


def test_plates_and_recognition_switched_off_say_so_and_are_not_listed():
    notice = build(state(recognition=None, plate_reader=None, words=None), EN, url=URL)
    assert "plate_text" not in stored_kinds(notice) and "plate" in stored_kinds(notice)
    for line in ("Face recognition: off", "Reading licence plates: off", "Listening for words: off."):
        assert any(o.startswith(line) for o in notice.sign.off), line
    sr = build(state(recognition=None, plate_reader=None), SR, url=URL)
    assert any(o.startswith("Prepoznavanje lica: isključeno") for o in sr.sign.off)
    assert any(o.startswith("Čitanje registarskih tablica: isključeno") for o in sr.sign.off)


def test_it_mentions_every_kind_it_stores_and_none_it_does_not():
    for kit in (state(), state(recognition=None, plate_reader=None, words=None), state(MIC_RECORD="true")):
        notice = build(kit, SR, url=URL)
        assert stored_kinds(notice) == set(kit.stored())
        titles = notice.sign.collects + notice.sign.infers
        assert sorted(titles) == sorted(SR(KINDS[n].title) for n in kit.stored())
    nothing = dataclasses.replace(state(), vision=False)
    assert not {n for n, k in KINDS.items() if k.source == "camera"} & stored_kinds(build(nothing, EN, url=URL))


def test_a_kit_linked_to_an_exhibition_says_what_it_sends_and_never_the_broker_password():
    from types import SimpleNamespace

    from device.notice.state import _link

    mqtt = SimpleNamespace(url="mqtt://room1:s3cret@broker.local:1883", share_signatures=True)
    assert _link(SimpleNamespace(mqtt=mqtt)) == {"link": "broker.local:1883", "share_signatures": True}
    assert _link(SimpleNamespace()) == {"link": None, "share_signatures": False}     # no [mqtt] section
    linked = dataclasses.replace(state(), link="broker.local:1883", share_signatures=True)
    for gettext in (EN, SR):
        notice = build(linked, gettext, url=URL)
        assert "broker.local:1883" in notice.sign.nothing_leaves and "s3cret" not in text(notice)
        guard = next(s for s in notice.sections if s.id == "safeguards").entries[0]
        assert guard.marks == [gettext("OFF")] and "broker.local:1883" in guard.text
    notice = build(linked, EN, url=URL)
    assert "followed from room to room" in next(s for s in notice.sections if s.id == "recipients").paragraphs[1]
    assert any(e.title == "Followed from room to room" and e.special for s in notice.assessment for e in s.entries)
    alone = build(state(), EN, url=URL)
    assert alone.sign.nothing_leaves == "Nothing leaves this device: it sends nothing to the internet."


def test_a_custom_operator_is_shown_as_written_and_the_defaults_translated():
    custom = state(NOTICE_OPERATOR="Muzej nauke i tehnike", NOTICE_CONTACT="izlozba@example.rs")
    for gettext in (EN, SR):
        sign = build(custom, gettext, url=URL).sign
        assert (sign.operator, sign.contact) == ("Muzej nauke i tehnike", "izlozba@example.rs")
    assert build(state(), SR, url=URL).sign.operator == "Organizatori ove izložbe"


def test_the_sign_links_to_you_and_the_notice():
    sign = build(state(), EN, url="http://kit.test:8000").sign
    assert (sign.you_url, sign.notice_url) == ("http://kit.test:8000/you", "http://kit.test:8000/notice")
    md = sign_markdown(build(state(), SR, url=URL))
    assert "<http://kit.test:8000/you>" in md and "Ovaj uređaj vas gleda, sluša i oseća" in md


# ---- every message in both languages

def messages() -> set[str]:
    found = {f.default for f in dataclasses.fields(NoticeConfig)} | {"Data protection impact assessment"}
    for path in (*(ROOT / "device" / "notice").glob("*.py"), ROOT / "web" / "views" / "notice.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_") \
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def test_every_message_of_the_notice_and_the_lesson_is_in_serbian():
    serbian = load_catalog(HERE / "translations" / "sr.po")
    found = messages()
    assert len(found) > 200
    missing = sorted(m for m in found if m not in serbian)
    assert missing == [], f"untranslated: {missing[:5]}"
    for message in found:
        assert set(re.findall(r"%\(\w+\)s", serbian[message])) == set(re.findall(r"%\(\w+\)s", message)), message
    for text in (*WORKSHEET, *MINORS, *(s.title for s in STEPS)):
        assert text in found


# ---- the lesson

def test_the_lesson_lasts_about_45_minutes_and_moves_within_its_steps():
    assert 40 <= sum(s.minutes for s in STEPS) <= 50
    lesson = Lesson()
    assert lesson.move("prev") == 0 and lesson.move("next") == 1 and lesson.move("3") == 3
    assert lesson.move(str(len(STEPS) + 5)) == len(STEPS) - 1 and lesson.move("first") == 0
    with pytest.raises(ValueError, match="no such move"):
        lesson.move("sideways")
    for step in STEPS:       # a kit that has just started, or has no camera, still shows every step
        assert all(isinstance(v, str) for _, v in figures(step, {}, [], EN))


# ---- the command line, offline

@pytest.mark.parametrize("lang, says", [("en", "Kept at most 6 h"), ("sr", "Čuva se najviše 6 h")])
def test_the_command_writes_the_notice_and_the_sign_as_configured(tmp_path, monkeypatch, capsys, lang, says):
    monkeypatch.setenv("AWARENESS_KIT_STORE_RETENTION_H", "6")
    monkeypatch.setenv("AWARENESS_KIT_NOTICE_OPERATOR", "Muzej nauke i tehnike")
    monkeypatch.setenv("AWARENESS_KIT_MIC_RECORD", "true")
    assert main(["notice", "--format", "md", "--lang", lang]) == 0
    md = capsys.readouterr().out
    clips = SR("Recorded clips") if lang == "sr" else "Recorded clips"
    assert says in md and "Muzej nauke i tehnike" in md and clips in md
    html = tmp_path / "notice.html"
    assert main(["notice", "--lang", lang, "-o", str(html)]) == 0
    page = html.read_text()
    assert f'<html lang="{lang}">' in page and says in page and "<style>" in page and 'data-kind="audio_clip"' in page
    assert "<script" not in page and "http://awareness-kit.local/you" in page
    sign = tmp_path / "sign.html"
    assert main(["notice", "--sign", "--lang", lang, "--url", "http://10.0.0.7/", "-o", str(sign)]) == 0
    page = sign.read_text()
    assert page.count("<article") == 2 and 'lang="en"' in page and 'lang="sr"' in page
    assert page.count('<svg class="qr"') == 2 and "http://10.0.0.7/you" in page


def test_the_command_refuses_a_file_it_cannot_write(tmp_path, capsys):
    assert main(["notice", "-o", str(tmp_path / "missing" / "notice.html")]) == 2
    assert "--output" in capsys.readouterr().err


def test_the_lesson_says_the_kiosk_summarys_figures_in_its_words():
    since = time.time() - 3600
    summary = {"people_today": 7, "faces_today": 3, "phones_linked": 2, "stored": 1500, "inferred": [], "since": since}
    status = {"vision": {"people": 1, "tracked_total": 40, "in": 0, "out": 2, "counted_since": since},
              "counts": {"correlation": 90}, "uptime_s": 36000,
              "sources": {"camera": {"state": "running"}}}
    inventory = [{"kind": "face", "count": 1000, "oldest": since - 3600},
                 {"kind": "motion", "count": 500, "oldest": since}]
    hm = time.strftime("%H:%M", time.localtime(since))
    shown = {step.id: dict(figures(step, status, inventory, EN, summary)) for step in STEPS}
    assert shown["walk"][f"People seen since {hm}"] == "7" and shown["back"][f"People seen since {hm}"] == "7"
    assert shown["walk"][f"Crossed the line since {hm}"] == "in 0 · out 2"
    assert shown["phone"] == {f"Phones linked to a person since {hm}": "2"}, "phones, not correlation observations"
    assert shown["data"]["Observations stored"] == shown["erase"]["Observations stored"] == "1,500"
    assert shown["city"]["Observations stored per hour"] == "750", "1,500 kept over two hours"
    assert shown["city"][f"People seen per hour since {hm}"] == "7"
    labels = [label for figures_ in shown.values() for label in figures_]
    assert not [label for label in labels if label in ("People tracked so far", "Items stored", "Came in / went out")]
    serbian = dict(figures(STEPS[1], status, inventory, SR, summary))
    assert serbian[f"Viđenih ljudi od {hm}"] == "7" and serbian[f"Prelasci linije od {hm}"] == "ušlo 0 · izašlo 2"
    stopped = {**status, "sources": {"camera": {"state": "ended"}}}
    assert dict(figures(STEPS[1], stopped, inventory, EN, summary))["People in view"] == "–"
