"""The report pictures of the README and the site, taken in a real browser.

    python tools/screenshots.py [--out docs/img] [--run DIR] [--browser chromium]

Runs ``judgebias demo`` into a temporary folder (or takes ``--run DIR``, a finished run
folder), opens its ``report.html`` in headless Chromium and writes:

- ``report.png``: the top of the report (the scorecard);
- ``report-forest.png``: the forest plot (the report scrolled to ``#forest``);
- ``report-examples.png``: the first examples of verdicts the cues moved (``#examples``).

The browser is Debian's ``chromium`` (``apt-get install chromium``); nothing is
downloaded. Each picture is taken with ``--screenshot`` at a fixed window size, so the
same report gives the same picture.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = {
    "report.png": ("", (1100, 900)),
    "report-forest.png": ("forest", (1100, 800)),
    "report-examples.png": ("examples", (1100, 900)),
}


def run_demo(folder: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "judgebias", "demo", "--out", str(folder), "--quiet"],
        check=True,
    )
    return folder / "report.html"


def shoot(browser: str, report: Path, anchor: str, size: tuple[int, int], out: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        url = report.resolve().as_uri()
        if anchor:
            # headless --screenshot does not scroll to a fragment: a page beside the report
            # shows it in a full-window frame, which does
            frame = report.parent / f"_shot_{anchor}.html"
            frame.write_text(
                '<!doctype html><html><body style="margin:0">'
                f'<iframe src="{report.name}#{anchor}" '
                'style="border:0;width:100vw;height:100vh"></iframe></body></html>',
                encoding="utf-8",
            )
            url = frame.resolve().as_uri()
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={size[0]},{size[1]}",
                f"--screenshot={out}",
                url,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    if anchor:
        (report.parent / f"_shot_{anchor}.html").unlink(missing_ok=True)
    if not out.exists() or out.stat().st_size == 0:
        raise SystemExit(f"screenshots: {browser} wrote no picture for {url}")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", default=str(ROOT / "docs" / "img"), help="folder for the PNGs")
    ap.add_argument("--run", default=None, help="a finished run folder (default: run the demo)")
    ap.add_argument("--browser", default="chromium", help="the Chromium executable")
    args = ap.parse_args()
    browser = shutil.which(args.browser)
    if browser is None:
        raise SystemExit(
            f"screenshots: --browser: {args.browser} not found (apt-get install chromium)"
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(args.run) / "report.html" if args.run else run_demo(Path(tmp) / "demo")
        if not report.exists():
            raise SystemExit(f"screenshots: {report}: no report.html there")
        for name, (anchor, size) in SHOTS.items():
            shoot(browser, report, anchor, size, out / name)
            print(f"wrote {out / name} ({(out / name).stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
