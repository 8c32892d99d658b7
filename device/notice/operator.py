"""The [notice] section of the config: who runs the kit, why, on what legal basis, and where to complain.

The defaults suit an exhibition in Serbia or in the EU; the notice shows them translated, and an operator's own
text as written. device.config lists this section with the others (its module would pass ~350 lines with it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TEXT = r"(?s)\S.{0,599}"
EXPECTED = "text of 1 to 600 characters"


def text_setting(default: str, help: str) -> Any:
    """A free-text setting, declared as device.config.setting() declares one (that module imports this one, so
    this one cannot import it; tests/device/test_notice.py checks the two stay alike)."""
    return field(default=default, metadata={"help": help, "min": None, "max": None, "pattern": TEXT,
                                            "expected": EXPECTED, "parse": None, "render": None})


@dataclass(frozen=True)
class NoticeConfig:
    operator: str = text_setting("The organisers of this exhibition",
                                 "Who runs the kit (the controller), named on the privacy notice and the sign.")
    contact: str = text_setting("The staff beside this exhibit", "How to reach them: an e-mail, a phone, a desk.")
    purpose: str = text_setting(
        "Public education about surveillance: the kit shows visitors, on their own image, voice and phone, what a "
        "smart-city camera collects and infers, and lets them erase it.", "Why the kit collects what it does.")
    legal_basis: str = text_setting(
        "Legitimate interest in public education (GDPR Art. 6(1)(f); in Serbia, Art. 12(1)(6) of the Zakon o "
        "zaštiti podataka o ličnosti, 87/2018), weighed against visitors' interests: a sign before the camera's "
        "view, short retention, and erasure at any time.", "The legal basis of the processing.")
    authority: str = text_setting(
        "In Serbia: Poverenik za informacije od javnog značaja i zaštitu podataka o ličnosti (the Commissioner "
        "for Information of Public Importance and Personal Data Protection), www.poverenik.rs. In an EU country: "
        "that country's data protection authority (edpb.europa.eu lists them).",
        "The data protection authority visitors may complain to.")
