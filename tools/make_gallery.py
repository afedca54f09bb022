"""Build the gallery reports of real judges from the shared data, with judgebias's own commands.

    python tools/make_gallery.py [--data ../shared/data] [--out reports]

For each LLMBar judge (GPT-4, ChatGPT) it runs ``judgebias analyze`` on the
recorded verdicts of every prompting strategy, compares each strategy with
``Vanilla`` on the same pairs, and keeps the report as
``reports/llmbar-<judge>.html``. The reports carry figures and plots only: the
script checks that no item text of the dataset and no external URL reaches them
(the shared data is not part of the repository and must not be copied into it).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
JUDGES = {"GPT-4": "llmbar-gpt4", "ChatGPT": "llmbar-chatgpt"}
# Namespace names inside inline SVG are identifiers, not resources the browser fetches.
_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def _relative(path: Path) -> str:
    """The path as seen from the repository (``../shared/...``), so reports show no home folders."""
    try:
        return "../" + str(path.resolve().relative_to(ROOT.parent))
    except ValueError:
        return str(path)


def build(data: Path, out: Path) -> list[Path]:
    llmbar = data / "llmbar"
    judgments, items = llmbar / "judgments.csv.gz", llmbar / "items.jsonl.gz"
    for f in (judgments, items):
        if not f.exists():
            sys.exit(f"make_gallery: {f} not found; pass --data DIR (the folder holding llmbar/)")
    build_dir = ROOT / "build" / "gallery"
    written = []
    for judge, name in JUDGES.items():
        target = build_dir / name
        cmd = [
            "judgebias",
            "analyze",
            _relative(judgments),
            "--first",
            "synth_noswap|winner_noswap",
            "--second",
            "synth_swap|winner_swap",
            "--gold",
            "label",
            "--group",
            "subset,judge,strategy",
            "--items",
            _relative(items),
            "--where",
            f"judge={judge}",
            "--compare-to",
            "Vanilla",
            "--title",
            f"LLMBar: the {judge} judge under its prompting strategies",
            "--out",
            str(target.relative_to(ROOT)),
            "--quiet",
        ]
        print("$", " ".join(f'"{c}"' if "|" in c or " " in c else c for c in cmd))
        subprocess.run([sys.executable, "-m", "judgebias.cli", *cmd[1:]], cwd=ROOT, check=True)
        out.mkdir(parents=True, exist_ok=True)
        page = out / f"{name}.html"
        shutil.copyfile(target / "report.html", page)
        written.append(page)
    shutil.rmtree(build_dir, ignore_errors=True)
    if build_dir.parent.exists() and not any(build_dir.parent.iterdir()):
        build_dir.parent.rmdir()
    check(written, items)
    return written


def check(pages: list[Path], items: Path) -> None:
    """Refuse pages that would load anything from the network or quote the dataset."""
    texts = pd.read_json(items, lines=True)
    snippets = {
        t[:40]
        for col in ("input", "output_1", "output_2")
        for t in texts[col].astype(str)
        if len(t) >= 40
    }
    for page in pages:
        html = page.read_text(encoding="utf-8")
        urls = set(re.findall(r"https?://[^\s\"'<>)]+", html)) - _NAMESPACES
        if urls:
            sys.exit(f"make_gallery: {page} refers to external URLs: {sorted(urls)[:3]}")
        if re.search(r"<(script|link|img|iframe)\b", html, re.IGNORECASE):
            sys.exit(f"make_gallery: {page} loads external elements")
        leaked = [s for s in snippets if s in html]
        if leaked:
            sys.exit(f"make_gallery: {page} contains dataset text ({len(leaked)} snippets)")
        print(
            f"wrote {page.relative_to(ROOT) if page.is_relative_to(ROOT) else page} "
            f"({len(html) // 1024} KiB, offline, no dataset text)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    args = parser.parse_args()
    build(args.data, args.out)


if __name__ == "__main__":
    main()
