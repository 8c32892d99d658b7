"""The docs are tested like code: hardware.md's wiring matches the config's pin map and the real header."""

import re
from pathlib import Path

from device.config import settings

ROOT = Path(__file__).resolve().parents[1]
# The Raspberry Pi 40-pin header: BCM GPIO number -> physical pin.
PHYSICAL = {2: 3, 3: 5, 4: 7, 17: 11, 27: 13, 22: 15, 10: 19, 9: 21, 11: 23, 5: 29, 6: 31, 13: 33, 19: 35,
            26: 37, 14: 8, 15: 10, 18: 12, 23: 16, 24: 18, 25: 22, 8: 24, 7: 26, 12: 32, 16: 36, 20: 38, 21: 40}


def wiring_table():
    text = (ROOT / "hardware.md").read_text()
    rows = re.findall(r"^\|[^|]*\|[^|]*\| `(\w+_pin)` \| GPIO(\d+) \| (\d+) \|", text, flags=re.M)
    return text, {key: (int(gpio), int(physical)) for key, gpio, physical in rows}


def test_every_pin_in_the_config_is_in_the_wiring_table_with_its_default():
    _, table = wiring_table()
    pins = {f.name: f.default for section, f in settings() if section == "sensors" and f.name.endswith("_pin")}
    assert {key: gpio for key, (gpio, _) in table.items()} == pins
    assert len(set(pins.values())) == len(pins), "two parts on one pin"


def test_the_physical_pins_and_the_diagram_match_the_header():
    text, table = wiring_table()
    diagram = text.split("```", 2)[1]
    for key, (gpio, physical) in table.items():
        assert PHYSICAL[gpio] == physical, f"{key}: GPIO{gpio} is physical pin {PHYSICAL[gpio]}"
        drawn = rf"GPIO{gpio}\s+\({physical}\)|\({physical}\)\s+GPIO{gpio}\b"
        assert re.search(drawn, diagram), f"GPIO{gpio} is not drawn at pin {physical}"
