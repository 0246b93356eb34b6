"""py-spy raw (collapsed) profiles summarised as text: the top functions by inclusive and
by own time."""

from collections import Counter
from pathlib import Path


def _frame(frame: str) -> str:
    # py-spy raw frames look like "function (path/to/file.py:123)"
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"


WRAPPERS = ("<frozen runpy>", "typer/", "click/", "uvicorn/", "asyncio/runners.py",
            "asyncio/base_events.py", "asyncio/events.py", "<module> (")


def summarise(raw: Path, top: int = 25) -> str:
    """Top functions of a py-spy raw profile: % of samples with the function anywhere on the
    stack (inclusive) and at the top (own)."""
    if not raw.exists():
        return f"(no profile at {raw})"
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";") if f and not f.startswith("process ")
                  and not f.startswith("thread ")]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            if not any(marker in name for marker in WRAPPERS):
                inclusive[name] += count
    if not total:
        return "(empty profile)"
    lines = [f"{total} samples", "", "inclusive %  function"]
    lines += [f"{100 * n / total:10.1f}  {name}" for name, n in inclusive.most_common(top)]
    lines += ["", "own %       function"]
    lines += [f"{100 * n / total:10.1f}  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines)
