"""What /exhibition and /api/exhibition show: the rooms, who is in each now, and each person's route.

    view_of(exhibition) -> {"kit": "hall", "link": {...},
                            "kits": [{"name": "cafe", "online": True, "people_now": 1, "people": ["hall-3"]}, ..],
                            "people": [{"id": "hall-3", "seen": [{"kit": "hall", "ts": ..}, ..],
                                        "confidence": 0.87, "method": "face"}, ..]}
"""

from __future__ import annotations

from typing import Any

MOST_PEOPLE = 100           # the most recent people shown


def view_of(exhibition: Any) -> dict[str, Any]:
    people = exhibition.people.people()
    person_of = {f"{seen['kit']}/{seen['track']}": person["id"] for person in people for seen in person["seen"]}
    status = exhibition.status()
    kits = []
    here = [f"track:{p.id}" for p in exhibition.watching.in_view()]
    known = exhibition.kits()
    known.setdefault(exhibition.name, {"online": False, "summary": None})
    for name in sorted(known, key=lambda n: (n != exhibition.name, n)):
        entry = known[name]
        if name == exhibition.name:
            tracks, online = here, status["state"] == "up"
        else:
            summary = entry.get("summary") or {}
            online = bool(entry.get("online"))
            tracks = [t for t in summary.get("people") or [] if isinstance(t, str)] if online else []
        kits.append({"name": name, "online": online, "here": name == exhibition.name,
                     "people_now": len(tracks),
                     "people": [person_of.get(f"{name}/{track}", f"{name}-{track.partition(':')[2]}")
                                for track in tracks[:50]]})
    return {"kit": exhibition.name,
            "link": {key: status[key] for key in ("enabled", "state", "message", "since", "share_signatures")},
            "kits": kits,
            "people": [{**person, "seen": [{"kit": s["kit"], "ts": s["ts"], "until": s["until"]}
                                           for s in person["seen"]]} for person in people[:MOST_PEOPLE]]}
