"""One sentence per observation (web/sentences.py), said alike by /data and the live feed: each observation on
/events carries it in every language the kit speaks, with plural forms and numbers as each language writes them."""

from __future__ import annotations

import json

from markupsafe import escape

from device.observations import Observation
from tests.web.test_data import section
from web.i18n import LANGUAGES, translations
from web.sentences import in_every_language, says

# Old times (so that /data?until= shows these rows alone, whatever the simulated kit publishes meanwhile).
SAMPLES = [
    (Observation(1000.0, "camera", "person", "track:41", {"id": 41, "state": "left", "dwell_s": 12.4, "looked": 1}),
     "Person #41 left after 12 s; looked at the camera once",
     "Osoba br. 41 je otišla posle 12 s; u kameru je pogledala 1 put"),
    (Observation(1001.0, "camera", "motion", None, {"area": 0.0125, "boxes": [[1, 2, 3, 4], [5, 6, 7, 8]]}),
     "Movement in 2 places (1.2% of the picture)", "Pokret na 2 mesta (1,2% slike)"),
    (Observation(1002.0, "microphone", "speech_minute", None, {"speaking_s": 12.5, "turns": 5}),
     "In the last minute: 12.5 s of speech, in 5 turns", "U poslednjem minutu: 12,5 s govora, u 5 navrata"),
    (Observation(1003.0, "microphone", "loud_event", None, {"label": "clap", "peak_dbfs": -6.5, "duration_ms": 40}),
     "A loud sound: probably a clap (-6.5 dBFS, 40 ms)", "Glasan zvuk: verovatno pljesak (-6,5 dBFS, 40 ms)"),
]


def test_an_events_observation_carries_its_sentence_in_both_languages_as_data_says_it(open_viewer, kit, client):
    viewer = open_viewer("/events")
    viewer.until("event: status")
    for o, _, _ in SAMPLES:
        kit.observations.publish(o)
    viewer.line_after('"label":"clap"')      # the last one sent
    sent = [json.loads(line[6:]) for line in viewer.body.decode().splitlines() if line.startswith("data: {")]
    sent = {(d["ts"], d["kind"]): d for d in sent if "says" in d}
    assert kit.store.flush(5)
    for o, english, serbian in SAMPLES:
        event = sent[(o.ts, o.kind)]
        assert event["value"] == o.value and event["subject"] == o.subject, "the fields stay as they were"
        assert event["says"] == {"en": english, "sr": serbian}
        for code, _ in LANGUAGES:
            rows = section(client.get(f"/data?kind={o.kind}&until={o.ts + 0.5}&lang={code}").get_data(as_text=True),
                           "rows")
            assert str(escape(event["says"][code])) in rows, (code, event["says"][code])


def test_counts_take_their_plural_forms_in_each_language():
    en, sr = translations("en"), translations("sr")
    here = lambda looked: Observation(1.0, "camera", "person", "track:3", {  # noqa: E731
        "id": 3, "state": "here", "dwell_s": 5, "looked": looked, "direction": "in", "smiling": True})
    assert says(here(1), en) == "Person #3 has been here 5 s, looked at the camera once, walking in, smiling"
    assert says(here(2), en) == "Person #3 has been here 5 s, looked at the camera 2 times, walking in, smiling"
    assert [says(here(n), sr).split(", ")[1] for n in (1, 2, 5, 21)] == [
        "u kameru je pogledala 1 put", "u kameru je pogledala 2 puta", "u kameru je pogledala 5 puta",
        "u kameru je pogledala 21 put"]
    assert says(here(1), sr).endswith(", ide unutra, smeši se")
    one = Observation(1.0, "camera", "motion", None, {"area": 0.5, "boxes": [[1, 2, 3, 4]]})
    assert in_every_language(one) == {"en": "Movement in 1 place (50% of the picture)",
                                      "sr": "Pokret na 1 mestu (50% slike)"}
    crossing = Observation(1.0, "camera", "crossing", "track:7", {"direction": "out", "in": 1200, "out": 3})
    assert in_every_language(crossing) == {"en": "Person #7 went out (1,200 in, 3 out so far)",
                                           "sr": "Osoba br. 7 je otišla napolje (do sada ušlo: 1.200, izašlo: 3)"}


def test_a_value_without_its_kinds_shape_has_no_sentence_and_the_feed_shows_its_title():
    assert in_every_language(Observation(1.0, "camera", "face", None, {"something": "else"})) == {}
    assert in_every_language(Observation(1.0, "camera", "person", None, ["not", "a", "dict"])) == {}


def test_a_value_no_sensor_gives_has_no_sentence_rather_than_stopping_the_feed():
    """The sentences are made in the fan-out's thread, which sends every viewer's events: a value that cannot be
    said (an infinite confidence, a number too large to write) gives no sentence, and nothing is raised."""
    assert in_every_language(Observation(1.0, "camera", "plate_text", None, {"text": "BG123AB"}, float("inf"))) == {}
    assert in_every_language(Observation(1.0, "microphone", "sound_level", None,
                                         {"dbfs": 1e300, "spl_db": 1e300, "peak_dbfs": 1e300})) == {}


def test_a_health_reading_without_a_temperature_still_reads_as_a_sentence():
    said = in_every_language(Observation(1.0, "system", "health", None, {"load_1m": 0.5}))
    assert said == {"en": "The kit's load is 0.5 (no temperature sensor)",
                    "sr": "Opterećenje uređaja je 0,5 (nema senzora temperature)"}


def test_an_observation_json_cannot_carry_is_not_sent_rather_than_stopping_every_viewers_events():
    from web.live import observation_json

    assert observation_json(Observation(1.0, "camera", "plate_text", None, {"text": "BG123AB"}, float("inf"))) is None
    sent = json.loads(observation_json(Observation(1.0, "camera", "plate_text", None, {"text": "BG123AB"}, 0.9)))
    assert sent["value"] == {"text": "BG123AB"} and sent["says"]["en"].startswith("Read a licence plate")
