"""The safeguards the kit really enforces and those it does not, and the data protection impact assessment
(GDPR Art. 35(7); Art. 54 of the Serbian law): description, necessity and proportionality, risks, measures.

    safeguards(state, gettext).entries      # each with marks ["on"] or ["OFF"], as the kit runs now
    assessment(state, gettext)              # four sections: "description", "necessity", "risks", "measures"
"""

from __future__ import annotations

from device.notice.document import Entry, Gettext, Section, hours, kind_title, off_list, operator_text
from device.notice.kinds import note_for
from device.notice.state import LiveState

UNIT = "systemd/awareness-kit.service"


def safeguards(state: LiveState, _: Gettext) -> Section:
    """What the kit enforces, each said as it stands now (a safeguard an admin switched off says OFF)."""
    on, off = _("on"), _("OFF")
    config = state.config
    private = [kind_title(state, _, n) for n in state.kinds if not state.kinds[n].public]
    low = [kind_title(state, _, n) for n, k in state.kinds.items() if k.low_value and state.stores(n)]
    entries = [
        Entry(_("Nothing is sent anywhere"), _(
            "The kit's software opens no connection out of the device: no cloud, no telemetry, nothing loaded "
            "from elsewhere (its pages allow only the device itself: Content-Security-Policy default-src "
            "'self').") if not state.link else _(
            "Linked to an exhibition ([mqtt] url): it sends its status, summaries and sightings to the broker at "
            "%(host)s; nothing else leaves, and its pages load nothing from elsewhere.") % {"host": state.link},
              marks=[off if state.link else on]),
        Entry(_("Faces blurred for phones"), _("Faces are blurred in everything phones see.") if state.blur_public
              else _("An administrator switched this off: phones see faces clear."),
              marks=[on if state.blur_public else off]),
        Entry(_("Snapshots blurred"), _("Faces in stored snapshots are blurred ([vision] blur_faces).")
              if config.vision.blur_faces else _("Stored snapshots keep faces clear ([vision] blur_faces = false)."),
              marks=[on if config.vision.blur_faces else off]),
        Entry(_("Some data for the device's screen only"), _("Never sent to phones: %(list)s.")
              % {"list": ", ".join(private) or "–"}, marks=[on]),
        Entry(_("Admin PIN"), _(
            "Changing settings, exporting and erasing everything need the admin PIN: made at the first start, "
            "kept only as a hash; a session ends after 15 minutes; wrong guesses are slowed down."), marks=[on]),
        Entry(_("Deleted by age"), _("Every stored item is deleted once older than its retention (%(h)s at "
                                     "most), checked every minute.")
              % {"h": hours(_, max(state.hours()[n] for n in state.stored()) if state.stored() else 0)},
              marks=[on]),
        Entry(_("Deleted when the disk fills"), _(
            "Below %(mb)s MB free, the least valuable kinds (%(list)s) stop being stored and the oldest rows go "
            "first.") % {"mb": config.store.min_free_mb, "list": ", ".join(low) or "–"}, marks=[on]),
        Entry(_("Erasure"), _("\"Forget me\" on each phone; everything at once with the device's button (held "
                              "%(s)s s) or the admin page.") % {"s": int(config.sensors.hold_s)}, marks=[on]),
        Entry(_("Raw sound never kept"), _("Only measurements of the sound are stored, never the sound itself.")
              if not state.record else _("Clips of speech are recorded ([mic] record = true) and kept %(h)s.")
              % {"h": hours(_, config.mic.clip_retention_h)}, marks=[off if state.record else on]),
        Entry(_("Recording light"), _("A red light on the device is lit exactly while anything is captured."),
              marks=[on]),
        Entry(_("Hardened service"), " ".join([_(
            "Installed on a Raspberry Pi, the kit runs as its own user in a systemd service (%(unit)s) that can "
            "write only its data directory and reach only the camera, the microphone and the GPIO pins.")
            % {"unit": UNIT}, _("This run is that service.") if state.under_systemd
            else _("This run is not: it was started by hand.")]), marks=[on if state.under_systemd else off]),
    ]
    return Section("safeguards", _("Safeguards the kit enforces"), entries=entries)


def limits(state: LiveState, _: Gettext) -> Section:
    """What the kit does not do: the gaps an operator must cover, or say."""
    texts = [
        _("It does not ask anyone's consent: whoever walks past is captured; this notice and the sign are all "
          "they are told."),
        _("It cannot tell children from adults."),
        _("Its data is not encrypted on the device: whoever takes its memory card can read what it holds until it "
          "is deleted."),
        _("Its pages are plain HTTP: on an open Wi-Fi, people nearby could read what is sent to a phone."),
        _("The service does not block outgoing connections at the network level: that rests on the kit's own "
          "code; a firewall would make it a guarantee."),
        _("Anyone on its network can watch the live view: watching needs no login."),
        _("\"Forget me\" erases camera data only for the tracks a visitor said were theirs; the rest goes with "
          "its retention, or when staff erase everything."),
        _("Re-identification makes mistakes: lookalikes may share a number, and one person may get two."),
    ]
    if state.recognition is not None:
        texts.append(_("It runs face recognition without collecting the explicit consent it needs."))
    return Section("limits", _("What it does not do"), entries=[Entry("", t) for t in texts])


def assessment(state: LiveState, _: Gettext) -> list[Section]:
    return [_description(state, _), _necessity(state, _), _risks(state, _), _measures(state, _)]


def _description(state: LiveState, _: Gettext) -> Section:
    sources = []
    for name, label in (("camera", _("Camera")), ("microphone", _("Microphone")), ("sensors", _("Sensors"))):
        source = state.sources.get(name) or {}
        real = source.get("real")
        what = _("simulated") if real is False or source.get("name") == "simulated" else source.get("name", "?")
        sources.append(f"{label}: {what}")
    detectors = [_("Face recognition: %(name)s") % {"name": state.recognition}] if state.recognition else []
    if state.plate_reader:
        detectors.append(_("Plate reading: %(name)s") % {"name": state.plate_reader})
    stored = state.stored()
    paragraphs = [
        _.ngettext("A Raspberry Pi in a public room watches, listens and senses like a smart-city camera, analyses "
                   "what it captures on the device, stores %(n)s kind of data about the room and the people in it, "
                   "and shows all of it on a dashboard any phone nearby can open.",
                   "A Raspberry Pi in a public room watches, listens and senses like a smart-city camera, analyses "
                   "what it captures on the device, stores %(n)s kinds of data about the room and the people in it, "
                   "and shows all of it on a dashboard any phone nearby can open.", len(stored)) % {"n": len(stored)},
        "; ".join(sources + detectors) + ".",
    ]
    return Section("description", _("The processing and its purposes"), paragraphs, entries=[
        Entry(_("Purpose"), operator_text(_, state.config.notice.purpose, "purpose"))])


def _necessity(state: LiveState, _: Gettext) -> Section:
    paragraphs = [_("The purpose is to show people, on their own data, what such systems collect: that needs the "
                    "data to be collected for real, but not to be kept long, sent anywhere, or tied to names.")]
    beyond = []
    if state.recognition is not None:
        beyond.append(_("Face recognition: appearance matching makes the same point without biometric data."))
    if state.record:
        beyond.append(_("Recording sound: the measurements make the point without keeping anyone's voice."))
    if state.words is not None and state.config.mic.store_words:
        beyond.append(_("Storing the words heard: showing them live makes the point."))
    if any(h > 24 for h in state.hours().values()):
        beyond.append(_("Keeping data longer than a day: an exhibition day makes the point."))
    if not state.blur_public:
        beyond.append(_("Clear faces on phones: blurred faces make the point."))
    if state.share_signatures:
        beyond.append(_("Sending people's signatures to other kits: each room makes the point on its own."))
    nothing = _("Nothing beyond what the purpose needs is switched on.")
    entries = [Entry("", text) for text in beyond] or [Entry("", nothing)]
    if beyond:
        paragraphs.append(_("Switched on now, and more than the purpose needs:"))
    return Section("necessity", _("Necessity and proportionality"), paragraphs, entries=entries)


def _risks(state: LiveState, _: Gettext) -> Section:
    entries = []
    for name in state.stored():
        note = note_for(name)
        if note.personal:
            entries.append(Entry(kind_title(state, _, name), _(note.risk), kind=name, special=state.special(name)))
    if state.share_signatures:
        entries.append(Entry(_("Followed from room to room"), _(
            "The other kits receive each person's signature: a visitor is followed through the whole exhibition, "
            "and an erasure on one kit must reach the others."), special=state.recognition is not None))
    entries += [Entry(_("People who did not see the sign"), _("They are captured all the same.")),
                Entry(_("Children"), _("A class of minors is captured like adults: see the lesson's guidance."))]
    return Section("risks", _("Risks to people"), [_("What could go wrong for the people it captures:")],
                   entries=entries)


def _measures(state: LiveState, _: Gettext) -> Section:
    return Section("measures", _("Measures against the risks"), [
        _("The safeguards above, as they stand now, and the gaps they leave; switched off: %(off)s")
        % {"off": " ".join(off_list(state, _)) or "–"}])
