"""The privacy notice as a document, in one language, written from a LiveState: the sign (the first layer), the
full notice (GDPR Art. 13) and the impact assessment (Art. 35(7), in device.notice.assessment).

    notice = build(LiveState.of_kit(kit), gettext, url="http://awareness-kit.local/")
    notice.sign.collects                 # the titles of what it stores, measured; .infers: worked out
    [s.id for s in notice.sections]      # "who", "purpose", "stored", "live", "off", ...

Nothing here is written by hand for one kit: each sentence is chosen and filled in from the state.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

from device.notice.kinds import note_for
from device.notice.operator import NoticeConfig
from device.notice.state import LiveState


class Gettext(Protocol):
    """A language (web.i18n.Translations): _("..."), _.ngettext("%(n)s day", "%(n)s days", n), _.number(1200)."""

    def __call__(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: float) -> str: ...

    def number(self, value: float, digits: int = 3) -> str: ...


@dataclass
class Entry:
    title: str
    text: str = ""
    detail: str = ""                           # a longer explanation, below the text
    kind: str | None = None                    # the kind of observation it describes, if any
    marks: list[str] = field(default_factory=list)   # short facts: how long it is kept, who sees it
    special: bool = False                      # special-category (biometric) data


@dataclass
class Section:
    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Sign:
    headline: str
    lead: str
    operator: str
    contact: str
    purpose: str
    collects: list[str]
    infers: list[str]
    retention: str
    off: list[str]
    special: str | None
    nothing_leaves: str
    erase: str
    more: str
    you_url: str
    notice_url: str
    labels: dict[str, str] = field(default_factory=dict)   # the sign's own headings


@dataclass
class Notice:
    lang: str
    title: str
    made: str
    sign: Sign
    sections: list[Section]
    assessment: list[Section]


def hours(_: Gettext, h: float) -> str:
    """24.0 -> "24 h", 0.5 -> "30 min", 168 -> "7 days"."""
    if h < 1:
        return _("%(n)s min") % {"n": round(h * 60)}
    if h >= 48 and h % 24 == 0:
        return _.ngettext("%(n)s day", "%(n)s days", h // 24) % {"n": int(h // 24)}
    return _("%(n)s h") % {"n": int(h) if float(h).is_integer() else round(h, 1)}


def operator_text(_: Gettext, value: str, key: str) -> str:
    """An operator's own text as written; the default translated."""
    default = NoticeConfig.__dataclass_fields__[key].default
    return _(value) if value == default else value


def build(state: LiveState, _: Gettext, *, url: str, lang: str = "en") -> Notice:
    from device.notice.assessment import assessment, limits, safeguards

    base = url if url.endswith("/") else url + "/"
    sign = _sign(state, _, base)
    sections = [_who(state, _), _purpose(state, _), _stored(state, _), _live(state, _), _off(state, _),
                _recipients(state, _), _retention(state, _), _rights(state, _, base), _automated(state, _),
                safeguards(state, _), limits(state, _), _made(state, _)]
    made = time.strftime("%Y-%m-%d %H:%M", time.localtime(state.at))
    return Notice(lang=lang, title=_("Privacy notice and impact assessment"), made=made, sign=sign,
                  sections=sections, assessment=assessment(state, _))


def kind_title(state: LiveState, _: Gettext, name: str) -> str:
    kind = state.kinds.get(name)
    return _(kind.title) if kind else name


def retention_summary(state: LiveState, _: Gettext) -> str:
    stored = state.stored()
    every = state.hours()
    if not stored:
        return _("It stores nothing.")
    longest = max(every[name] for name in stored)
    shorter = [name for name in stored if every[name] < longest]
    text = _("Kept at most %(h)s, then deleted.") % {"h": hours(_, longest)}
    if shorter:
        groups: dict[float, list[str]] = {}
        for name in shorter:
            groups.setdefault(every[name], []).append(kind_title(state, _, name))
        text += " " + _("Shorter for: %(list)s.") % {"list": "; ".join(
            f"{', '.join(titles)}: {hours(_, h)}" for h, titles in sorted(groups.items()))}
    if state.record:
        text += " " + _("Recorded sound files: %(h)s.") % {"h": hours(_, state.config.mic.clip_retention_h)}
    return text


def off_list(state: LiveState, _: Gettext) -> list[str]:
    """What is switched off, each saying so."""
    off = []
    if not state.vision:
        off.append(_("Camera analysis: off (the picture is not analysed, so no faces, people or plates)."))
    else:
        if state.recognition is None:
            off.append(_("Face recognition: off (people are matched again by their clothes and a coarse face "
                         "pattern only)."))
        if not state.plates:
            off.append(_("Licence plates: off."))
        elif state.plate_reader is None:
            off.append(_("Reading licence plates: off (plates are only boxed, never read)."))
    if not state.record:
        off.append(_("Recording sound: off (raw audio is never stored)."))
    if state.words is None:
        off.append(_("Listening for words: off."))
    elif not state.config.mic.store_words:
        off.append(_("Storing the words heard: off (they are shown live only)."))
    return off


def _sign(state: LiveState, _: Gettext, base: str) -> Sign:
    stored = state.stored()
    collects = [kind_title(state, _, n) for n in stored if not note_for(n).inferred]
    infers = [kind_title(state, _, n) for n in stored if note_for(n).inferred]
    special = None
    if any(state.special(n) for n in stored):
        special = _("Face recognition is on: your face is turned into numbers that identify you (biometric "
                    "data, a special category).")
    notice = state.config.notice
    return Sign(
        headline=_("This device is watching, listening and sensing you"),
        lead=_("It is an exhibit about surveillance: it does what a smart-city camera does, and shows you "
               "everything it collects."),
        operator=operator_text(_, notice.operator, "operator"), contact=operator_text(_, notice.contact, "contact"),
        purpose=operator_text(_, notice.purpose, "purpose"), collects=collects, infers=infers,
        retention=retention_summary(state, _), off=off_list(state, _), special=special,
        nothing_leaves=_("Nothing leaves this device: it sends nothing to the internet.") if not state.link
        else _("It sends what it notices to the exhibition's other kits (through %(host)s), and nothing anywhere "
               "else.") % {"host": state.link},
        erase=_("Erase yourself: scan the code, open the page and press \"Forget me\". Staff can erase "
                "everything."),
        more=_("The full notice and the impact assessment:"), you_url=base + "you", notice_url=base + "notice",
        labels={"who": _("Who runs it"), "why": _("Why"), "collects": _("What it collects"),
                "infers": _("What it works out"), "kept": _("How long"), "off": _("Switched off"),
                "scan": _("Scan: see what it knows about you, and erase it"),
                "pictogram": _("A camera and a microphone")})


def _who(state: LiveState, _: Gettext) -> Section:
    notice = state.config.notice
    return Section("who", _("Who runs this kit"), entries=[
        Entry(_("Operator (controller)"), operator_text(_, notice.operator, "operator")),
        Entry(_("Contact"), operator_text(_, notice.contact, "contact"))])


def _purpose(state: LiveState, _: Gettext) -> Section:
    notice = state.config.notice
    section = Section("purpose", _("Why, and on what legal basis"), entries=[
        Entry(_("Purpose"), operator_text(_, notice.purpose, "purpose")),
        Entry(_("Legal basis"), operator_text(_, notice.legal_basis, "legal_basis"))])
    if any(state.special(n) for n in state.stored()):
        section.entries.append(Entry(
            _("Special category: biometric data"),
            _("Face recognition (%(name)s) turns faces into numbers that identify people. GDPR Art. 9 and Art. 17 "
              "of the Serbian law allow this only with each person's explicit consent (or another of their narrow "
              "exceptions). The kit does not ask for consent: unless the operator collects it, switch recognition "
              "off by uninstalling the recogniser.") % {"name": state.recognition}, special=True))
    return section


def _stored(state: LiveState, _: Gettext) -> Section:
    every = state.hours()
    section = Section("stored", _("What it stores"), [
        _("Each kind of data below is stored on the device, kept for the time shown, then deleted.")])
    for name in state.stored():
        kind, note = state.kinds[name], note_for(name)
        marks = [_("kept %(h)s") % {"h": hours(_, every[name])}]
        if name == "audio_clip":
            marks.append(_("the sound file %(h)s") % {"h": hours(_, state.config.mic.clip_retention_h)})
        marks.append(_("phones see it") if kind.public else _("only the device's own screen shows it"))
        marks.append(_("worked out by the kit") if note.inferred else _("measured"))
        if name == "snapshot":
            marks.append(_("faces blurred") if state.config.vision.blur_faces else _("faces NOT blurred"))
        special = state.special(name)
        if special:
            marks.append(_("special category: biometric"))
        section.entries.append(Entry(_(kind.title), _(note.category) + ".", detail=_(kind.reveals), kind=name,
                                     marks=marks, special=special))
    longest = hours(_, max(every.values()))
    section.entries.append(Entry(_("Tracks, visits and snapshots"), _(
        "Beside the kinds above: each tracked person's route and appearance signature, what each phone that "
        "opened the dashboard revealed, and the snapshots' files; kept up to %(h)s.") % {"h": longest}))
    return section


def _live(state: LiveState, _: Gettext) -> Section:
    section = Section("live", _("What it shows live without storing"))
    section.entries.append(Entry(_("The camera's picture"), " ".join([
        _("Shown live and never stored as video."),
        _("Faces are blurred in what phones see.") if state.blur_public
        else _("Faces are NOT blurred in what phones see: an administrator switched blurring off."),
        _("The device's own screen shows faces clear.") if state.kiosk_clear or not state.blur_public
        else _("The device's own screen blurs faces too.")])))
    section.entries.append(Entry(_("The sound's spectrum"), _("Shown live as a picture of the sound; never "
                                                               "stored.")))
    if state.words is not None and not state.config.mic.store_words:
        section.entries.append(Entry(_("Words heard"), _("Listened for: %(words)s. Shown live, never stored.")
                                     % {"words": ", ".join(state.words)}))
    return section


def _off(state: LiveState, _: Gettext) -> Section:
    entries = [Entry("", text) for text in off_list(state, _)] or [Entry("", _("Nothing is switched off."))]
    return Section("off", _("What is switched off"), entries=entries)


def _recipients(state: LiveState, _: Gettext) -> Section:
    private = [kind_title(state, _, n) for n in state.stored() if not state.kinds[n].public]
    if state.link:
        paragraphs = [_("The exhibition's other kits receive, through its MQTT broker at %(host)s, this kit's status "
                        "and summaries and when it sees people; nothing goes anywhere else.") % {"host": state.link}]
    else:
        paragraphs = [_("No one outside this device receives anything: it sends nothing anywhere, and nothing is "
                        "transferred to another country.")]
    if state.share_signatures:
        paragraphs.append(_("They also receive the appearance signatures of the people it sees (with face "
                            "recognition, their face embeddings), so that a visitor is followed from room to room."))
    paragraphs.append(_("Anyone whose phone reaches the kit's network can watch its dashboard: the live picture and "
                        "what it notices, and what it stored, as phones are shown it."))
    if private:
        paragraphs.append(_("Only the device's own screen shows: %(list)s.") % {"list": ", ".join(private)})
    paragraphs.append(_("Staff with the admin PIN can export everything it stores."))
    return Section("recipients", _("Who sees it"), paragraphs)


def _retention(state: LiveState, _: Gettext) -> Section:
    store = state.config.store
    low = [kind_title(state, _, n) for n, kind in state.kinds.items() if kind.low_value and state.stores(n)]
    return Section("retention", _("How long it keeps it"), [
        retention_summary(state, _),
        _("Deletion runs every minute. When the free space falls below %(mb)s MB, the least valuable kinds "
          "(%(list)s) stop being stored and the oldest rows are deleted first.")
        % {"mb": store.min_free_mb, "list": ", ".join(low) or "–"}])


def _rights(state: LiveState, _: Gettext, base: str) -> Section:
    return Section("rights", _("Your rights, and how to use them here"), entries=[
        Entry(_("See what it holds"), _("Everything it stores is on %(data)s; what it knows about your phone is "
                                       "on %(you)s.") % {"data": base + "data", "you": base + "you"}),
        Entry(_("Erase it"), _("On %(you)s, \"Forget me\" erases your phone's visits, the guesses about you, and "
                               "the camera tracks you said were you. Staff can erase everything at once: the "
                               "device's button held %(s)s s, or its admin page.")
              % {"you": base + "you", "s": int(state.config.sensors.hold_s)}),
        Entry(_("Object, or restrict it"), _("Stay out of the camera's view, or ask the staff to switch the kit "
                                             "off while you are here.")),
        Entry(_("Complain"), operator_text(_, state.config.notice.authority, "authority"))])


def _automated(state: LiveState, _: Gettext) -> Section:
    text = [_("No decision about you is made by the kit: it decides nothing that affects you."),
            _("It does profile in a narrow sense: it follows each person under a number and works out how long "
              "they stayed, whether they looked and smiled, and guesses which phone is theirs.")]
    if state.recognition is not None:
        text.append(_("With face recognition on, it recognises a returning face by its numbers."))
    return Section("automated", _("Automated decisions and profiling"), text)


def _made(state: LiveState, _: Gettext) -> Section:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(state.at))
    if state.running:
        text = _("Written by the kit itself at %(when)s from what it is doing: its kinds of data, its settings, "
                 "the settings an administrator changed, and the detectors that run. A change shows here at "
                 "once.") % {"when": when}
    else:
        text = _("Written at %(when)s from the config file and what is installed on this computer, without a "
                 "running kit: settings an administrator changes while the kit runs are not in it.") % {"when": when}
    changed = state.changed_by_admin()
    paragraphs = [text]
    if changed:
        names = {"blur_public": _("blurring faces for phones"), "kiosk_clear": _("clear faces on the device")}
        text = _("Changed by an administrator from the config file's defaults (kept across restarts): %(list)s.")
        paragraphs.append(text % {"list": ", ".join(names[key] for key in changed)})
    return Section("made", _("How this notice was made"), paragraphs)

