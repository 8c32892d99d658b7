"""English and Serbian: chosen from the browser, switchable, and every message translated."""

from __future__ import annotations

import re

from device.observations import KINDS
from web.i18n import HERE, load_catalog, script_messages

TEMPLATES = HERE / "templates"


def template_messages() -> set[str]:
    found = set()
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text()
        found |= {a or b for a, b in re.findall(r'_\(\s*"((?:[^"\\]|\\.)*)"|_\(\s*\'((?:[^\'\\]|\\.)*)\'', text)}
    return found


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\(\w+\)s|\{\w+\}", text))


def test_every_message_has_a_serbian_translation_with_the_same_placeholders():
    serbian = load_catalog(HERE / "translations" / "sr.po")
    kinds = {text for kind in KINDS.values() for text in (kind.title, kind.unit, kind.reveals, kind.real_world)}
    wanted = template_messages() | script_messages() | kinds
    missing = sorted(m for m in wanted if m not in serbian)
    assert missing == [], f"untranslated: {missing[:5]}"
    for msgid in wanted:
        assert placeholders(serbian[msgid]) == placeholders(msgid), msgid


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
    assert '"Everything is still": "Sve miruje"' in html
    english = client.get("/?lang=en").get_data(as_text=True)
    assert '"Everything is still"' not in english, "English needs no catalog"
