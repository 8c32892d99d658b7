"""Benchmark: Lighthouse (mobile) on the pages a phone opens, against a kit on simulated hardware.

    python bench/lighthouse.py [--pages / /you /data /kiosk] [--runs 1] [--save DIR]

Lighthouse comes from npm, pinned, into a cache outside the repository (~/.cache/awareness-kit, or
$XDG_CACHE_HOME), installed on the first run; it drives Debian's Chromium (CHROME_PATH, else chromium on the
PATH) with the browser tests' flags. It prints, per page, the performance, accessibility and best practices
scores, the layout shift (CLS), the largest contentful paint (LCP) and the bytes the page took (the live
camera's included, for as long as Lighthouse watched). With --runs N, the median run of each page.
--save DIR keeps each page's HTML report.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from simulated_kit import ROOT, simulated_kit

sys.path.insert(0, str(ROOT))
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: E402  (the browser tests' headless flags)

VERSION = "12.8.2"      # the last Lighthouse for Node 18 (Debian 12's); 13 needs Node 22
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "awareness-kit" / f"lighthouse-{VERSION}"
PAGES = ["/", "/you", "/data", "/kiosk"]
SETTLE_S = 5.0          # the kit's first seconds (its detectors, its first frames) are not what a phone meets


def lighthouse() -> Path:
    """The pinned Lighthouse's command, installed into CACHE with npm if it is not there yet."""
    command = CACHE / "node_modules" / ".bin" / "lighthouse"
    if not command.exists():
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("npm is not installed (apt install npm): Lighthouse comes from the npm registry")
        print(f"installing Lighthouse {VERSION} into {CACHE} ...", file=sys.stderr)
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), f"lighthouse@{VERSION}"],
                       check=True, stdout=subprocess.DEVNULL)
    return command


def chromium() -> str:
    path = os.environ.get("CHROME_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        sys.exit("chromium is not installed (apt install chromium), and CHROME_PATH is not set")
    return path


def audit(command: Path, browser: str, url: str, save: Path | None) -> dict:
    """One Lighthouse run of *url* (its mobile preset): the figures this benchmark prints."""
    with tempfile.TemporaryDirectory() as out:
        report = Path(out) / "report"
        formats = ["--output=json"] + (["--output=html"] if save else [])
        subprocess.run([str(command), url, *formats, f"--output-path={report}", "--quiet",
                        "--only-categories=performance,accessibility,best-practices",
                        f"--chrome-flags={' '.join(CHROMIUM_ARGS)}"],
                       check=True, env={**os.environ, "CHROME_PATH": browser}, stdout=subprocess.DEVNULL)
        found = json.loads(Path(f"{report}.report.json" if save else f"{report}").read_text())
        if save:
            name = url.split("/", 3)[3].strip("/") or "live"
            shutil.copy(f"{report}.report.html", save / f"lighthouse-{name}.html")
    scores, audits = found["categories"], found["audits"]
    return {"performance": scores["performance"]["score"], "accessibility": scores["accessibility"]["score"],
            "best_practices": scores["best-practices"]["score"],
            "cls": audits["cumulative-layout-shift"]["numericValue"],
            "lcp_s": audits["largest-contentful-paint"]["numericValue"] / 1000,
            "kb": audits["total-byte-weight"]["numericValue"] / 1024,
            "failed": sorted(key for key, a in audits.items() if a.get("score") is not None and a["score"] < 0.9
                             and a.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", nargs="+", default=PAGES)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--save", type=Path, help="keep each page's HTML report in this directory")
    args = parser.parse_args()
    command, browser = lighthouse(), chromium()
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
    print(f"Lighthouse {VERSION}, mobile preset, {Path(browser).name}; a kit on simulated hardware")
    print(f"{'page':8} {'perf':>5} {'a11y':>5} {'best':>5} {'CLS':>6} {'LCP s':>6} {'KB':>7}  audits below 0.9")
    with simulated_kit() as (_, port):
        time.sleep(SETTLE_S)
        for page in args.pages:
            runs = [audit(command, browser, f"http://127.0.0.1:{port}{page}", args.save) for _ in range(args.runs)]
            run = sorted(runs, key=lambda r: r["performance"])[len(runs) // 2]     # the median run
            print(f"{page:8} {run['performance']:5.2f} {run['accessibility']:5.2f} {run['best_practices']:5.2f} "
                  f"{run['cls']:6.3f} {run['lcp_s']:6.1f} {run['kb']:7.0f}  {', '.join(run['failed']) or '-'}")
            if args.runs > 1:
                scores = ", ".join(f"{r['performance']:.2f}" for r in runs)
                print(f"{'':8} performance in {args.runs} runs: {scores}")


if __name__ == "__main__":
    main()
