"""What the privacy notice says of each kind of observation, beyond the registry's own explanation: its category in
data-protection terms, what must be on for the kit to store it, whether it is special-category (biometric) data,
and its risk to people for the impact assessment.

    note_for("reid").special            # -> "recognition": biometric while a face recogniser runs

Every registered kind needs an entry here (tests/device/test_notice.py fails otherwise); a kind that arrives
without one still gets a cautious note, special-category if its name speaks of faces being recognised.
"""

from __future__ import annotations

from dataclasses import dataclass

from device.observations import KINDS, Kind


def N_(message: str) -> str:
    """Mark a message for translation; it is translated where it is shown."""
    return message


# What must be on for the kit to store a kind (device.notice.state.LiveState.stores() checks these).
NEEDS = ("always", "vision", "plates", "plate_reader", "record", "store_words")
# When a kind is special-category data: "recognition" while a face recogniser runs, "always" whatever runs.
SPECIAL = (None, "recognition", "always")


@dataclass(frozen=True)
class KindNotice:
    category: str                  # the category of data, in data-protection terms
    risk: str                      # for the impact assessment: what it could do to people
    personal: bool = True          # about a person (even one known only by a number), not only about the room
    inferred: bool = False         # worked out by the kit (vs measured): the sign lists these apart
    needs: str = "always"          # a NEEDS entry
    special: str | None = None     # a SPECIAL entry


LOW_RISK = N_("Low on its own: it describes the room. Beside the camera's data it tells when someone was here.")

NOTES: dict[str, KindNotice] = {
    "motion": KindNotice(N_("Movement in front of the camera, not linked to anyone"), LOW_RISK, personal=False,
                         needs="vision"),
    "face": KindNotice(
        N_("Images of people: that a face is in view, where, whether it looks at the camera and smiles"),
        N_("Reveals who stood where and how they reacted; the first step towards recognising them."),
        inferred=True, needs="vision"),
    "person": KindNotice(
        N_("A person's movements and behaviour, under a number (a pseudonym): route, time spent, glances; and "
           "the appearance signature kept to know them again (with a face recogniser: a face embedding)"),
        N_("Singles a person out and follows them without their name; a route and a time are often enough to "
           "tell who it was."),
        inferred=True, needs="vision", special="recognition"),
    "reid": KindNotice(
        N_("Re-identification: a returning person matched with their earlier visits (with a face recogniser: "
           "biometric identification)"),
        N_("Links visits into one profile; lookalikes are confused, so a person may be mistaken for another."),
        inferred=True, needs="vision", special="recognition"),
    "crossing": KindNotice(N_("Comings and goings: a numbered person crossing the counting line"),
                           N_("Counts people in and out; with the person's number it adds when they came and went."),
                           inferred=True, needs="vision"),
    "plate": KindNotice(N_("That a vehicle's licence plate is in view, and where (not what it says)"), LOW_RISK,
                        personal=False, needs="plates"),
    "plate_text": KindNotice(
        N_("Vehicle registration numbers, read from the plates: they name the vehicle's keeper"),
        N_("Names a car's keeper and when they passed; such logs are searched to follow journeys."),
        inferred=True, needs="plate_reader"),
    "sound_level": KindNotice(N_("How loud the room is"), LOW_RISK, personal=False),
    "voice": KindNotice(N_("When someone spoke, for how long, and the pitch of their voice"),
                        N_("Tells when people talked; a pitch is used by some products to guess sex or mood, "
                           "wrongly for many people."), inferred=True),
    "speech_minute": KindNotice(N_("How much of each minute people spent talking"), LOW_RISK, personal=False,
                                inferred=True),
    "loud_event": KindNotice(N_("Sudden loud sounds, and a guess at what they were"), LOW_RISK, personal=False,
                             inferred=True),
    "keyword": KindNotice(N_("Words people said, when they are among the words listened for (the content of "
                             "speech)"),
                          N_("Keeps what people said, not only that they spoke; a word out of context misleads."),
                          inferred=True, needs="store_words"),
    "audio_clip": KindNotice(N_("Recordings of people's voices (raw audio)"),
                             N_("A recording can be replayed, transcribed and shared, and a voice recognised."),
                             needs="record"),
    "pir": KindNotice(N_("That a warm body moves near the infrared sensor"), LOW_RISK, personal=False),
    "distance": KindNotice(N_("How far the nearest person or object stands"), LOW_RISK, personal=False),
    "presence": KindNotice(N_("Whether someone is here, and which sensors agree"), LOW_RISK, personal=False,
                           inferred=True),
    "light": KindNotice(N_("How bright the room is"), LOW_RISK, personal=False),
    "health": KindNotice(N_("The device's own temperature and load"),
                         N_("None: it is about the device, not about people."), personal=False),
    "snapshot": KindNotice(
        N_("A photograph of each person, taken when their face is first seen"),
        N_("A picture of a person kept as a file: anyone with the device's storage could look at it."),
        needs="vision"),
    "correlation": KindNotice(
        N_("A link between a phone that opened the dashboard and a person the camera follows"),
        N_("Puts the phone's details beside a person's image: the step that gives 'anonymous' tracking a name."),
        inferred=True, needs="vision"),
}

BIOMETRIC_WORDS = ("embedding", "recogni", "biometric", "faceprint")


def note_for(name: str) -> KindNotice:
    """The notice's entry for *name*; a cautious one for a kind registered without one."""
    if name in NOTES:
        return NOTES[name]
    kind: Kind | None = KINDS.get(name)
    words = f"{name} {kind.title if kind else ''}".lower()
    special = "always" if any(word in words for word in BIOMETRIC_WORDS) else None
    return KindNotice(N_("Data this notice does not describe yet: see its explanation"),
                      N_("Not yet assessed: treat it as personal data until it is."), special=special)
