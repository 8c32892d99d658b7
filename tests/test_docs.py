"""The docs are tested like code: hardware.md's wiring table matches the config's pin map."""

import re
from pathlib import Path

from device.config import SensorsConfig, settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_pin_in_the_config_is_in_the_wiring_table_with_its_default():
    text = (ROOT / "hardware.md").read_text()
    rows = re.findall(r"^\|[^|]*\|[^|]*\| `(\w+_pin)` \| GPIO(\d+) \|", text, flags=re.M)
    table = {key: int(pin) for key, pin in rows}
    pins = {f.name: f.default for section, f in settings() if section == "sensors" and f.name.endswith("_pin")}
    assert table == pins
    assert len(set(pins.values())) == len(pins), "two parts on one pin"
    assert SensorsConfig().pir_pin == table["pir_pin"]
