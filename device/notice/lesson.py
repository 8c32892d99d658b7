"""A classroom lesson of about 45 minutes, in steps, each tied to something the kit is doing live; the teacher
moves it on (from /admin on a phone, or the kiosk's keyboard) and the projector follows.

    lesson = Lesson()
    lesson.move("next")                      # -> 1; "prev", "first", or a step number
    STEPS[lesson.step].title
    figures(STEPS[1], kit.status(), kit.store.inventory(), gettext, summary)   # [(label, value), ...] for that step
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from device.notice.kinds import N_

if TYPE_CHECKING:
    from device.notice.document import Gettext

CITY_CAMERAS = 1200        # the smart cameras Belgrade's interior ministry put up


@dataclass(frozen=True)
class Step:
    id: str
    minutes: int
    title: str
    say: str                   # what the teacher does and says
    ask: str                   # a question for the class
    page: str = ""             # the kit's page this step opens ("/", "/data", "/you", "/notice")
    camera: bool = False       # show the live camera beside it


STEPS: tuple[Step, ...] = (
    Step("start", 5, N_("This device is watching you"),
         N_("Point at the camera, the microphone, the sensors and the red light. Everything they capture stays on "
            "this device, and the class will see all of it."),
         N_("Who noticed the camera when they came in? Who read the sign?"), page="/notice"),
    Step("walk", 5, N_("Walk past: your number follows you"),
         N_("Ask two volunteers to walk slowly across the room. Each gets a number that follows them; the kit "
            "counts who came in and who went out, and how long each one stayed."),
         N_("It does not know your name. Does it need to?"), camera=True),
    Step("back", 5, N_("Come back: it knows you again"),
         N_("Ask one volunteer to leave the view and come back. The kit gives them their old number: by their "
            "clothes and a coarse face pattern, or, with face recognition installed, by their face."),
         N_("What could go wrong if it mistakes someone for someone else?"), camera=True),
    Step("listen", 5, N_("It listens too"),
         N_("Talk, then clap. The kit notes when someone speaks, for how long, the pitch of the voice, and loud "
            "sounds. It keeps no recording unless it is set to."),
         N_("Can a machine tell who you are, or how you feel, from your voice?"), page="/"),
    Step("phone", 5, N_("Your phone tells it more"),
         N_("Everyone opens the dashboard's \"You\" page on their phone: it shows what the phone revealed just by "
            "opening a page, and the kit guesses which person on the camera holds it."),
         N_("Which of these details did you know your phone gives away?"), page="/you"),
    Step("data", 5, N_("Open the data: all it kept"),
         N_("Open the data page: every kind of data, how much of it, how long it is kept, and each row."),
         N_("Which of these would you not want kept about you, and for how long?"), page="/data"),
    Step("city", 7, N_("1,200 such cameras in one city"),
         N_("Belgrade's interior ministry installed about 1,200 smart cameras; the data protection commissioner "
            "rejected its impact assessments as not comprehensive enough. Multiply what this one kit collected "
            "by 1,200, and by every hour of the day. Then compare with this kit's own notice."),
         N_("Who should decide whether a city may do this, and what should they have to show first?"),
         page="/notice"),
    Step("erase", 3, N_("Erase yourself"),
         N_("On the \"You\" page, press \"Forget me\": your phone's data goes at once. Then the teacher erases "
            "everything from the admin page or with the device's button."),
         N_("Can you erase yourself from a city's cameras?"), page="/you"),
    Step("discuss", 5, N_("Discuss"),
         N_("Hand out the worksheet. In small groups, answer its questions; each group reports one answer."),
         N_("Where did you walk past a camera today?")),
)


class Lesson:
    """The step the class is on: one per kit, moved by the teacher, read by every screen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.step = 0
        self.changed = time.time()

    def move(self, to: str) -> int:
        """*to*: "next", "prev", "first", or a step number (0-based); returns the step now."""
        with self._lock:
            if to == "next":
                step = self.step + 1
            elif to == "prev":
                step = self.step - 1
            elif to == "first":
                step = 0
            elif to.isdigit():
                step = int(to)
            else:
                raise ValueError(f"no such move {to[:20]!r}: expected next, prev, first or a step number")
            self.step = min(max(step, 0), len(STEPS) - 1)
            self.changed = time.time()
            return self.step


def figures(step: Step, status: dict[str, Any], inventory: list[dict[str, Any]], _: Gettext,
            summary: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """What the kit shows live for *step*: (label, value) pairs, in the language of *_*. *summary*: the kiosk's
    summary figures (web/views/kiosk.py figures(): people_today, phones_linked, stored, since), so that the lesson
    says the same figures with the same words as the kiosk; without it those figures are "–"."""
    vision = status.get("vision") or {}
    counts = status.get("counts") or {}
    mic = status.get("microphone") or {}
    sources = status.get("sources") or {}
    summary = summary or {}
    now = time.time()
    stored = summary.get("stored", sum(row["count"] for row in inventory))      # the same count either way
    since = summary.get("since")
    at = time.strftime("%H:%M", time.localtime(since)) if since else "–"
    people = summary.get("people_today", "–")
    oldest = min((row["oldest"] for row in inventory if row.get("oldest") is not None), default=now)
    kept_h = max((now - oldest) / 3600, 1 / 60)             # what is stored was stored over this many hours
    since_h = max((now - since) / 3600, 1 / 60) if since else None
    camera_on = (sources.get("camera") or {}).get("state", "running") in ("starting", "running", "degraded")
    # Line crossings count since the tracker's counts started: the kit's start or the last wipe
    started = vision.get("counted_since") or max(now - status.get("uptime_s", 0),
                                                 (status.get("last_forget") or {}).get("at", 0))
    recording = _("yes") if status.get("recording") else _("no")
    seen = (_("People seen since %(time)s") % {"time": at}, people)
    per_step: dict[str, list[tuple[str, Any]]] = {
        "start": [(_("Capturing now"), recording)] + [
            (label, _("on") if (sources.get(name) or {}).get("state") == "running" else _("off"))
            for name, label in (("camera", _("Camera")), ("microphone", _("Microphone")), ("sensors", _("Sensors")))],
        "walk": [(_("People in view"), vision.get("people", "–") if camera_on else "–"), seen,
                 (_("Crossed the line since %(time)s") % {"time": time.strftime("%H:%M", time.localtime(started))},
                  _("in %(came)s · out %(left)s") % {"came": vision.get("in", 0), "left": vision.get("out", 0)})],
        "back": [(_("Recognised again"), counts.get("reid", 0)), seen],
        "listen": [(_("Someone speaking"), _("yes") if mic.get("speaking") else _("no")),
                   (_("Sound level"), f"{_.number(mic['spl_db'], 1)} dB" if mic.get("spl_db") is not None else "–"),
                   (_("Stretches of speech noted"), counts.get("voice", 0)),
                   (_("Loud sounds noted"), counts.get("loud_event", 0))],
        "phone": [(_("Phones linked to a person since %(time)s") % {"time": at}, summary.get("phones_linked", "–"))],
        "data": [(_("Observations stored"), _.number(stored)), (_("Kinds of data"), len(inventory))],
        "city": [(_("Observations stored per hour"), _.number(round(stored / kept_h))),
                 (_("The same for 1,200 cameras, per day"), _.number(round(stored / kept_h * 24 * CITY_CAMERAS))),
                 (_("People seen per hour since %(time)s") % {"time": at},
                  _.number(round(people / since_h)) if since_h and isinstance(people, int) else "–"),
                 (_("The same for 1,200 cameras, per day"),
                  _.number(round(people / since_h * 24 * CITY_CAMERAS)) if since_h and isinstance(people, int)
                  else "–")],
        "erase": [(_("Observations stored"), _.number(stored))],
    }
    return [(label, str(value)) for label, value in per_step.get(step.id, [])]


WORKSHEET = (
    N_("Write down three things the kit stored about you. Which surprised you?"),
    N_("The kit gave you a number instead of a name. Is that anonymous? Why, or why not?"),
    N_("It guessed which phone is yours. What else could be linked to you that way?"),
    N_("What would change if this camera were on your street, kept everything for a year, and the police could "
       "search it?"),
    N_("The commissioner rejected the ministry's impact assessment. What would you want it to say?"),
    N_("Which settings of this kit would you switch off, and why?"),
)

MINORS = (
    N_("Before the class: switch off what the lesson does not need. Leave face recognition uninstalled, keep "
       "[mic] record and store_words off, keep faces blurred for phones, and set a short retention ([store] "
       "retention_h = 2)."),
    N_("Ask the school how it handles pictures of pupils; for pupils under the age of digital consent (15 in "
       "Serbia, 13 to 16 in EU countries), ask their parents or guardians in advance, in writing, and say what "
       "the kit collects (print this notice)."),
    N_("Nobody has to take part: a pupil can stay out of the camera's view, and still follow the lesson on the "
       "projector. Volunteers walk past; nobody is singled out."),
    N_("Phones are optional: pupils can share one phone, or watch on the projector."),
    N_("After the class: erase everything (the admin page or the device's button held down), and show the "
       "class the empty data page."),
)
