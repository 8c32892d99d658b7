"""An exhibition of kits: several rooms on one MQTT broker (Mosquitto), sharing what they see, following a
visitor from room to room, and forgetting them everywhere.

    exhibition = Exhibition(config, hub, store, watching=watching, visitors=visitors)   # device.exhibition.service
    Worker("exhibition", exhibition.loop).start()    # only when [mqtt] url is set; nothing is sent otherwise
    exhibition.status()          # {"state": "up" | "down" | "off", "share_signatures": .., "url": true, ...}
    exhibition.view()            # /api/exhibition: kits (name, online, people now), people (id, seen, confidence)
    exhibition.forget_me(visitor)    # erase here, then on every kit; exhibition.command(id) -> "3 of 3"

The modules: settings.py ([mqtt] and [sim] sections), topics.py (the topic tree and its payloads), link.py (the
MQTT client: will, back-off, persistent session), people.py (sightings, matching, exhibition-wide people),
commands.py (forget commands, acknowledgements, the durable outbox), discovery.py (Home Assistant),
service.py (the kit's service), check.py (`awareness-kit check`).

This package's __init__ imports nothing on purpose: device.config imports its sections from settings.py.
"""
