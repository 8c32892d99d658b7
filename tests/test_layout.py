"""The code's shape, kept as the design says: small modules and classes, one owner of the database's
connections, a web layer that never reaches a device."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(p for folder in ("device", "web") for p in (ROOT / folder).rglob("*.py"))
MODULE_LINES, CLASS_LINES = 360, 210      # "about 350" and "about 200"


def test_modules_and_classes_stay_small():
    too_long = []
    for path in SOURCES:
        text = path.read_text()
        if len(text.splitlines()) > MODULE_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            lines = node.end_lineno - node.lineno + 1 if isinstance(node, ast.ClassDef) else 0
            if lines > CLASS_LINES:
                too_long.append(f"{path.relative_to(ROOT)}: class {node.name}, {lines} lines")
    assert not too_long, "split these: " + "; ".join(too_long)


def test_only_the_stores_writer_and_reader_pool_connect_to_the_database():
    connecting = {str(p.relative_to(ROOT)) for p in SOURCES if "sqlite3.connect" in p.read_text()}
    assert connecting and connecting <= {"device/store/writer.py", "device/store/reading.py"}, connecting


def test_the_web_layer_never_reaches_a_device_or_an_analyzer():
    reaching = re.compile(r"kit\.(sensors|camera\.camera|listening\.(mic|analyzer)|watching\.analyzer|_stimuli)\b"
                          r"|from device\.(camera|audio|sensors|vision)\b")
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in SOURCES if p.parts[-2:][0] in ("web", "views")
             for m in reaching.finditer(p.read_text())]
    assert not found, found
