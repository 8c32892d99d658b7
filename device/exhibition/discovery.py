"""Home Assistant MQTT discovery: each kit appears as one device with sensors fed by its summary topic.

Following Home Assistant's conventions: one retained config message per entity on
homeassistant/<component>/<node_id>/<object_id>/config (node_id: the kit's name), a unique_id, the device's
identifiers, and availability from the kit's status topic ("online", and "offline" as its will).

    for topic, payload in configs("hall"):
        link.publish(topic, payload, qos=1, retain=True)
"""

from __future__ import annotations

from typing import Any

from device import __version__
from device.exhibition import topics

# object_id: (component, name, value template, extra fields)
ENTITIES: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "people_now": ("sensor", "People in view", "{{ value_json.people_now }}",
                   {"state_class": "measurement", "unit_of_measurement": "people", "icon": "mdi:account-group"}),
    "people_tracked": ("sensor", "People tracked", "{{ value_json.tracked }}",
                       {"state_class": "total_increasing", "icon": "mdi:account-multiple-check"}),
    "sound_level": ("sensor", "Sound level", "{{ value_json.sound_dbfs }}",
                    {"state_class": "measurement", "unit_of_measurement": "dBFS", "icon": "mdi:microphone"}),
    "speaking": ("binary_sensor", "Someone speaking", "{{ 'ON' if value_json.speaking else 'OFF' }}",
                 {"device_class": "sound"}),
    "presence": ("binary_sensor", "Someone here", "{{ 'ON' if value_json.presence else 'OFF' }}",
                 {"device_class": "occupancy"}),
}


def configs(kit: str) -> list[tuple[str, bytes]]:
    """(topic, JSON payload) of every discovery config of *kit*, to be published retained."""
    device = {"identifiers": [f"awareness-kit-{kit}"], "name": f"awareness-kit {kit}",
              "manufacturer": "awareness-kit", "model": "Raspberry Pi awareness kit", "sw_version": __version__}
    result = []
    for object_id, (component, name, template, extra) in ENTITIES.items():
        payload = {"name": name, "unique_id": f"awareness_kit_{kit}_{object_id}".replace("-", "_"),
                   "object_id": f"awareness_kit_{kit}_{object_id}".replace("-", "_"),
                   "state_topic": topics.summary(kit), "value_template": template,
                   "availability_topic": topics.status(kit), "payload_available": "online",
                   "payload_not_available": "offline", "device": device, **extra}
        if component == "binary_sensor":
            payload |= {"payload_on": "ON", "payload_off": "OFF"}
        result.append((f"{topics.DISCOVERY_PREFIX}/{component}/{kit}/{object_id}/config", topics.encode(payload)))
    return result
