"""A user agent string read the way analytics read it: device, operating system, browser.

    parse("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) ... Version/17.2 Mobile/15E148 Safari/604.1")
    -> {"device": "iPhone", "os": "iOS 17.2", "browser": "Safari 17.2"}
"""

from __future__ import annotations

import re

_OS = [
    (r"Android (\d+(?:\.\d+)?)", "Android {}"),
    (r"(?:iPhone|CPU) OS (\d+)_(\d+)", "iOS {}.{}"),
    (r"iPad.*OS (\d+)_(\d+)", "iPadOS {}.{}"),
    (r"Windows NT 10\.0", "Windows 10 or 11"),
    (r"Windows NT (\d+\.\d+)", "Windows NT {}"),
    (r"CrOS", "ChromeOS"),
    (r"Mac OS X (\d+)[_.](\d+)", "macOS {}.{}"),
    (r"Linux", "Linux"),
]
_BROWSERS = [
    (r"EdgA?/(\d+)", "Edge {}"), (r"Edg/(\d+)", "Edge {}"), (r"OPR/(\d+)", "Opera {}"),
    (r"SamsungBrowser/(\d+)", "Samsung Internet {}"), (r"Firefox/(\d+)", "Firefox {}"),
    (r"FxiOS/(\d+)", "Firefox {}"), (r"CriOS/(\d+)", "Chrome {}"), (r"Chrome/(\d+)", "Chrome {}"),
    (r"Version/(\d+(?:\.\d+)?).*Safari", "Safari {}"),
]


def _first(patterns: list[tuple[str, str]], text: str) -> str | None:
    for pattern, label in patterns:
        match = re.search(pattern, text)
        if match:
            return label.format(*match.groups())
    return None


def parse(agent: str) -> dict[str, str]:
    agent = agent[:500]
    if "iPhone" in agent:
        device = "iPhone"
    elif "iPad" in agent:
        device = "iPad"
    elif "Android" in agent:
        model = re.search(r"Android [^;)]*;(?: [a-z]{2}[-_][A-Za-z]{2};)? ([^;)]+?)(?: Build/[^;)]*)?\)", agent)
        name = model.group(1).strip() if model else ""
        device = f"Android phone ({name})" if name and name != "K" else "Android phone"
        if "Mobile" not in agent:
            device = device.replace("phone", "tablet")
    elif re.search(r"Windows|Macintosh|X11|CrOS", agent):
        device = "computer"
    else:
        device = "unknown device"
    return {"device": device, "os": _first(_OS, agent) or "unknown", "browser": _first(_BROWSERS, agent) or "unknown"}
