"""Every page in Chromium, in English and in Serbian, on a kit that has been live for a while: the Serbian pages hold
no English (the live scripts' sentences and counters included), the English ones no "1 places", and times of day
follow the page's language, not the phone's. The charts are images: tests/web/test_languages.py reads them."""

from __future__ import annotations

import re

from tests.browser.conftest import eventually, watched_page
from tests.web.test_languages import english_in, plural_slips
from web.i18n import HERE, load_catalog

STATIC = ["/data", "/you", "/admin", "/exhibition", "/notice", "/notice/sign", "/lesson", "/lesson/plan",
          "/lesson/worksheet", "/data?page=x", "/nothing-here"]

# Every piece of text a reader meets: text nodes, and alt, aria-label, title, placeholder; not code (names, values,
# commands, as stored), nor what is marked as another language (the language switch, the sign's other side).
TEXTS = """() => {
  const skip = "script, style, template, code, kbd, samp, pre, [translate=no]";
  const lang = document.documentElement.lang;
  const foreign = (el) => { const marked = el.closest("[lang]"); return marked && marked.lang !== lang; };
  const where = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : "");
  const found = [[document.title, "title"]];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement, text = node.textContent.trim();
    if (text && !el.closest(skip) && !foreign(el)) found.push([text, where(el)]);
  }
  for (const el of document.querySelectorAll("[alt], [aria-label], [title], [placeholder]")) {
    if (el.closest(skip) || foreign(el)) continue;
    for (const name of ["alt", "aria-label", "title", "placeholder"]) {
      if (el.getAttribute(name)) found.push([el.getAttribute(name), where(el) + "@" + name]);
    }
  }
  return found;
}"""


def english_left(texts: list[list[str]]) -> list[str]:
    """The texts of a Serbian page that are English: a whole English message, or English words in them."""
    serbian = load_catalog(HERE / "translations" / "sr.po")
    problems = []
    for text, where in texts:
        words = english_in(text)
        whole = isinstance(serbian.get(text), str) and serbian[text] != text
        if words or whole:
            problems.append(f"{where}: {text[:150]!r}" + (f" ({', '.join(dict.fromkeys(words))})" if words else ""))
    return list(dict.fromkeys(problems))


def slips(texts: list[list[str]]) -> list[str]:
    """The texts of an English page with a count of one and a plural: "1 places"."""
    return [f"{where}: {text[:150]!r}" for text, where in texts if plural_slips().search(text)]


def live_ready(page, lines: int) -> bool:
    """The live page or the kiosk once the scripts have filled it: feed sentences, status-driven counters."""
    return page.locator("#feed li").count() >= lines and "dBFS" in (page.locator("#c-sound").text_content() or "")


def test_no_page_mixes_its_languages(live_app, kit, browser):
    _, url = live_app
    pin = kit.admin.reset()
    found: dict[tuple[str, str], list[list[str]]] = {}
    clocks: dict[str, list[str]] = {}
    # Each language on a phone set to the other: times of day must follow the page, not the phone.
    with watched_page(browser, locale="sr-RS") as (en, en_watch), \
            watched_page(browser, locale="en-US") as (sr, sr_watch):
        live = {}
        for lang, page in (("en", en), ("sr", sr)):
            page.goto(f"{url}/admin?lang={lang}")           # the language, remembered for the context
            page.fill("#pin", pin)
            page.click("form.filter button[type=submit]")
            page.wait_for_url(re.compile(r"/admin$"))
            live[lang] = [page.context.new_page(), page.context.new_page()]
            live[lang][0].goto(url + "/")
            live[lang][1].goto(url + "/kiosk")
        for lang, page in (("en", en), ("sr", sr)):       # meanwhile, the pages the scripts change little
            for path in STATIC:
                page.goto(url + path)
                if path == "/you":
                    stored = eventually(page, lambda p=page: p.locator("#you-who code").count() > 0, 5)
                    assert stored, "/you stored nothing"
                found[(lang, path)] = page.evaluate(TEXTS)
        for lang in ("en", "sr"):
            # The kiosk's feed is calm: a line at a time.
            for (path, lines), page in zip((("/", 8), ("/kiosk", 3)), live[lang], strict=True):
                assert eventually(page, lambda p=page, n=lines: live_ready(p, n), 30), f"{path} ({lang}) empty"
                found[(lang, path)] = page.evaluate(TEXTS)
                clocks[f"{lang} {path}"] = page.locator("#feed time").all_text_contents()
        errors = [e for e in en_watch.errors + sr_watch.errors if "status of 400" not in e and "of 404" not in e]
    assert errors == [], "the error pages' own status aside"

    serbian = {path: english_left(texts) for (lang, path), texts in found.items() if lang == "sr"}
    english = {path: slips(texts) for (lang, path), texts in found.items() if lang == "en"}
    report = [f"{path} (sr): {p}" for path, problems in serbian.items() for p in problems] + \
             [f"{path} (en): {p}" for path, problems in english.items() for p in problems]
    assert report == [], f"{len(report)} texts in the wrong language or number:\n" + "\n".join(report)
    for name, times in clocks.items():
        assert times and all(re.fullmatch(r"\d\d:\d\d:\d\d", t) for t in times), (name, times[:3])
