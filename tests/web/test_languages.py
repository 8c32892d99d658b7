"""English and Serbian: chosen from the browser, switchable, every message translated (plurals in all their forms),
times and charts in the page's language, and nothing English left on a Serbian page."""

from __future__ import annotations

import ast
import re
import time
from functools import cache

import pytest
from babel.messages.extract import extract_from_file
from jinja2.ext import babel_extract
from markupsafe import escape

from device.observations import KINDS, Observation
from web.i18n import HERE, load_catalog, script_messages, script_values, translations, value_texts

ROOT = HERE.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
SERBIAN = {"Accept-Language": "sr-Latn-RS,sr;q=0.9,en;q=0.5"}


def template_messages() -> set:
    """Every _(), gettext() and ngettext() with a constant message in the templates (Jinja's Babel extractor)."""
    return {message for path in sorted((HERE / "templates").glob("*.html"))
            for _, message, _, _ in extract_from_file(babel_extract, path, keywords=KEYWORDS)}


def python_messages() -> set:
    """The same in the dashboard's Python code (web/**/*.py) and the notice's (device/notice/*.py, N_() too)."""
    paths = [*sorted(HERE.rglob("*.py")), *sorted((ROOT / "device" / "notice").glob("*.py"))]
    return {message for path in paths for _, message, _, _ in extract_from_file("python", path, keywords=KEYWORDS)}


def kind_messages() -> set[str]:
    return {text for kind in KINDS.values() for text in (kind.title, kind.unit, kind.reveals, kind.real_world)}


def _sample(node: ast.AST, assigned: dict[str, ast.AST]) -> str | None:
    """A reason as the code writes it, each value of an f-string as X; None if it is not written here."""
    if isinstance(node, ast.Name) and node.id in assigned:
        return _sample(assigned[node.id], {})
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values)
    return None


def reasons() -> set[str]:
    """Every reason a page gives for refusing a request: abort(code, "...") and werkzeug's exceptions made with a
    description in web/, and the kit's own refusals a page passes on (str(exc))."""
    import werkzeug.exceptions as wz

    http = {name for name, value in vars(wz).items() if isinstance(value, type) and issubclass(value, wz.HTTPException)}
    found = {"the kit did not offer X to this phone as a guess: a visitor may confirm or deny only the person the kit "
             "guessed for them",                                              # device.services.visitors.NotOffered
             "no such move X: expected next, prev, first or a step number"}    # device.notice.lesson.Lesson.move
    for path in HERE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        assigned = {t.id: n.value for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets
                    if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id == "abort" and len(node.args) >= 2:
                text = _sample(node.args[1], assigned)
            elif node.func.id in http and node.args:
                text = _sample(node.args[0], assigned)
            else:
                continue
            if text is not None:
                found.add(text)
    return found


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\(\w+\)s|\{\w+\}", text))


# ---- English left on a Serbian page

# Names and terms a Serbian text keeps as they are, beside the words English and Serbian share.
ALLOWED = {"awareness-kit", "wi-fi", "pin", "dbfs", "spl", "db", "json", "csv", "sqlite", "mqtt", "gdpr", "http",
           "gpio", "systemd", "raspberry", "pi", "user", "agent", "kib", "mib", "mb", "gb", "hz", "ms", "min",
           "api", "eu", "qr", "pp-ocr", "dlib", "opencv", "picamera", "lines", "unix"}
# Common English words, beyond those of the messages.
COMMON = {"the", "of", "and", "is", "are", "was", "were", "with", "for", "from", "this", "that", "it", "its",
          "not", "be", "has", "have", "by", "at", "or", "an", "you", "your", "what", "which", "who", "there",
          "here", "now", "all", "none", "unknown", "computer", "device", "phone", "tablet", "times", "places",
          "visits", "people", "items", "rows", "turns", "seconds", "minutes", "hours", "days", "yes", "no",
          "am", "pm"}
# Serbian words that are English words too.
SHARED = {"a", "i", "to", "on", "me", "ne"}
WORD = re.compile(r"[^\W\d_]+(?:['’_-][^\W\d_]+)*")
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")
# What a text quotes or names rather than says: config keys ([mic] record), identifiers (track:7, blur_faces,
# admin.json), addresses (/you), code (`...`), and quotations, which keep their own language.
NAMED = re.compile(r"\[\w+\](?:\s+\w+)?|\S*\w[_:/=.]\w\S*|(?<!\w)/\w\S*|`[^`]*`"
                   r"|„[^“]*“|“[^”]*”|\"[^\"]*\"|(?<!\w)'[^']*'(?!\w)")


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(NAMED.sub(" ", PLACEHOLDER.sub(" ", text)))}


@cache
def english_words() -> frozenset[str]:
    """The words of every English message that the Serbian translations do not use themselves, and common English
    words (what is named or quoted left out): a Serbian page has none of them."""
    serbian = load_catalog(HERE / "translations" / "sr.po")
    english, kept = set(COMMON), set()
    for msgid, msgstr in [*serbian.items(), *serbian.composed]:
        english |= {w for text in (msgid if isinstance(msgid, tuple) else (msgid,)) for w in _words(text)}
        kept |= {w for text in (msgstr if isinstance(msgstr, tuple) else (msgstr,)) for w in _words(text)}
    return frozenset(w for w in english - (kept - COMMON) - ALLOWED - SHARED if len(w) > 1)


def english_in(text: str) -> list[str]:
    """The English words in a text meant to be Serbian (what it names or quotes left out)."""
    return [w for w in WORD.findall(NAMED.sub(" ", text)) if w.lower() in english_words()]


@cache
def plural_slips() -> re.Pattern:
    """"1 places", "looked at the camera 1 times": a count of one with a plural noun of the messages."""
    serbian = load_catalog(HERE / "translations" / "sr.po")
    counted = {"people", "times", "places", "visits", "items", "rows", "turns", "observations", "seconds",
               "minutes", "hours", "days", "kits", "sensors", "kinds", "faces", "words", "persons"}
    for msgid in serbian:
        for text in msgid if isinstance(msgid, tuple) else (msgid,):
            counted |= {w.lower() for w in re.findall(r"(?:%\(\w+\)s|\{\w+\}) ([a-z]{2,}s)\b", text)}
    return re.compile(r"(?<![\d.,#-])1 (?:" + "|".join(sorted(counted)) + r")\b", re.IGNORECASE)


def test_the_english_word_check_knows_the_words_that_slip_through():
    assert {"places", "times", "visits", "people", "camera", "simulated", "phone", "still", "stored", "yes",
            "movement", "looked", "the", "computer", "unknown", "typical", "record"} <= english_words()
    assert english_in("Pokret na 3 mesta (1,2% slike); Wi-Fi, PIN, dBFS i awareness-kit; track:7, [mic] record, "
                      "http://kit.local/notice, „hello“") == []
    assert english_in("Movement in 1 places") == ["Movement", "in", "places"]
    slips = plural_slips()
    assert slips.search("Movement in 1 places") and slips.search("looked at the camera 1 times")
    assert not slips.search("in 1 place, 11 places, 1 ms, person #1 has been here")


# ---- the catalog is complete

def test_every_message_has_a_serbian_translation_with_the_same_placeholders():
    serbian = load_catalog(HERE / "translations" / "sr.po")
    wanted = (template_messages() | python_messages() | script_messages() | script_values() | value_texts()
              | kind_messages())
    assert len(wanted) > 500 and any(isinstance(m, tuple) for m in wanted)
    missing = sorted((m for m in wanted if m not in serbian), key=str)
    assert missing == [], f"{len(missing)} untranslated, e.g.: {missing[:8]}"
    for msgid in wanted:
        if isinstance(msgid, tuple):        # each form has the plural's placeholders (English "once" may not)
            assert len(serbian[msgid]) == 3, msgid
            assert all(placeholders(form) == placeholders(msgid[1]) for form in serbian[msgid]), msgid
        else:
            assert placeholders(serbian[msgid]) == placeholders(msgid), msgid


def test_every_reason_a_page_gives_is_said_in_serbian():
    sr = translations("sr")
    found = reasons()
    assert len(found) > 20
    untranslated = sorted(r for r in found if sr.reason(r) == escape(r))
    assert untranslated == [], f"{len(untranslated)} reasons without a Serbian pattern, e.g.: {untranslated[:5]}"
    for reason in found:
        assert english_in(re.sub(r"<code>.*?</code>", " ", str(sr.reason(reason)))) == [], reason


def test_composed_patterns_keep_their_values():
    serbian = load_catalog(HERE / "translations" / "sr.po")
    for msgid, msgstr in serbian.composed:
        assert placeholders(msgstr) <= placeholders(msgid), msgid
    sr = translations("sr")
    assert str(sr.reason("page must be a whole number from 1, not 'x'")) == \
        "Parametar <code>page</code> mora da bude ceo broj od 1 naviše, a ne <code>&#39;x&#39;</code>"
    assert sr.translate("no chart 'pie'; the charts are timeline, hours") == \
        "Nema grafikona 'pie'; grafikoni su: timeline, hours"
    assert sr.reason("Not Found") == "Nije pronađeno" and sr.translate("anything else") == "anything else"
    assert translations("en").reason("page <b>") == "page &lt;b&gt;"


# ---- plurals, times

@pytest.mark.parametrize("n, day, person", [(1, "1 dan", "1 osoba"), (2, "2 dana", "2 osobe"), (5, "5 dana", "5 osoba"),
                                            (11, "11 dana", "11 osoba"), (21, "21 dan", "21 osoba"),
                                            (22, "22 dana", "22 osobe"), (112, "112 dana", "112 osoba")])
def test_serbian_has_three_plural_forms(n, day, person):
    sr = translations("sr")
    assert sr.ngettext("%(n)s day", "%(n)s days", n) % {"n": n} == day
    assert sr.ngettext("%(num)s person", "%(num)s people", n) % {"num": n} == person
    en = translations("en")
    assert en.ngettext("%(num)s person", "%(num)s people", n) % {"num": n} == (f"{n} person" if n == 1 else
                                                                            f"{n} people")


def test_the_scripts_plurals_follow_the_catalog_by_cldr_category():
    sr = translations("sr")
    assert sr.tag == "sr-Latn" and sr.categories == {"one": 0, "few": 1, "other": 2}
    data = sr.for_scripts(script_messages())
    forms = data["plurals"]["Everything stored was erased at {when}: {n} item."]
    assert set(forms) == {"one", "few", "other"} and all("{n}" in form for form in forms.values())
    assert translations("en").for_scripts(script_messages()) == {"lang": "en", "messages": {}, "plurals": {}}


def test_times_are_written_in_the_page_language():
    ts = time.mktime((2026, 11, 30, 14, 5, 9, 0, 0, -1))
    assert translations("en").timestamp(ts) == "30 Nov 2026, 14:05:09"
    assert translations("sr").timestamp(ts) == "30. nov 2026. 14:05:09"
    assert translations("sr").timestamp(None) == "–"


def test_pages_show_times_in_their_language(client):
    english = client.get("/data?lang=en").get_data(as_text=True)
    serbian = client.get("/data?lang=sr").get_data(as_text=True)
    assert re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d:\d\d", english)
    assert re.search(r"\d{1,2}\. [a-z]{3,4} \d{4}\. \d\d:\d\d:\d\d", serbian)


# ---- the charts are images: their words, checked where they are drawn

def test_the_charts_speak_the_page_language(client, kit):
    now = time.time()
    kit.observations.publish(Observation(now - 120, "camera", "person", "track:1", {"state": "new", "dwell_s": 0.0,
                                                                                    "looked": 0}))
    kit.observations.publish(Observation(now - 60, "camera", "person", "track:1", {"state": "left", "dwell_s": 5.0,
                                                                                   "looked": 0}))
    assert kit.store.flush(5)
    for name in ("timeline", "hours", "dwell"):
        english = client.get(f"/charts/{name}.svg?lang=en").get_data(as_text=True)
        serbian = client.get(f"/charts/{name}.svg?lang=sr").get_data(as_text=True)
        assert serbian != english
        words = " ".join(re.findall(r">([^<>]+)<", serbian) + re.findall(r'aria-label="([^"]*)"', serbian))
        assert english_in(words) == [], (name, english_in(words))
        assert not plural_slips().search(english), name
    dwell = client.get("/charts/dwell.svg?lang=sr").get_data(as_text=True)
    assert "Koliko su se ljudi zadržali (1 osoba)" in dwell and "&lt;10 s: 1 osoba" in dwell
    assert "How long people stayed (1 person)" in client.get("/charts/dwell.svg?lang=en").get_data(as_text=True)


# ---- the error page

def test_an_error_page_gives_its_reason_in_serbian(client):
    response = client.get("/data?page=x", headers=SERBIAN)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "400 Neispravan zahtev" in html
    assert "Parametar <code>page</code> mora da bude ceo broj od 1 naviše" in html
    english = client.get("/data?page=x&lang=en").get_data(as_text=True)
    assert "400 Bad Request" in english and "page must be a whole number from 1, not &#39;x&#39;" in english
    missing = client.get("/nothing-here?lang=sr").get_data(as_text=True)
    assert "404 Nije pronađeno" in missing and "The requested URL" not in missing


# ---- choosing the language

def test_the_language_follows_the_browser_and_the_switch(client):
    serbian = client.get("/", headers={"Accept-Language": "sr-Latn-RS,sr;q=0.9,en;q=0.5"})
    text = serbian.get_data(as_text=True)
    assert '<html lang="sr">' in text and "Šta ovaj uređaj vidi, čuje i oseća, upravo sada" in text
    assert serbian.headers["Content-Language"] == "sr"
    english = client.get("/?lang=en", headers={"Accept-Language": "sr"})
    assert "What this device sees, hears and senses, right now" in english.get_data(as_text=True)
    assert "ak_lang=en" in english.headers["Set-Cookie"]
    again = client.get("/data", headers={"Accept-Language": "sr"})      # the choice is remembered
    assert "Everything this device has stored" in again.get_data(as_text=True)


def test_every_page_offers_both_languages(client):
    for path in ("/", "/data", "/you", "/admin", "/kiosk", "/nothing-here"):
        html = client.get(path).get_data(as_text=True)
        assert 'hreflang="sr"' in html or '<strong aria-current="true" lang="sr">' in html, path
        assert re.search(r'href="[^"]*lang=sr', html) or 'lang="sr">Srpski</strong>' in html, path


def test_the_scripts_get_their_messages_in_the_page(client):
    html = client.get("/?lang=sr").get_data(as_text=True)
    assert '"Live: new observations appear at the top.": "U\\u017eivo: nova zapa\\u017eanja' in html
    assert '"offline": ' in html, "texts of the status, which the scripts translate"
    assert '"clap"' not in html, "observations come with their sentences said by the kit: their texts stay there"
    assert '"lang": "sr-Latn"' in html
    english = client.get("/?lang=en").get_data(as_text=True)
    assert '"Live: new observations appear at the top."' not in english, "English needs no catalog"
