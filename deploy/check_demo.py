#!/usr/bin/env python3
"""The README's first command, checked (run by .ci/run; a developer may run it too).

Runs `deploy/stack demo` in a short form and proves what its banner promises:
  1. the command exits 0 and prints the banner;
  2. both health URLs of the banner answer 200 with status "ok";
  3. the dashboard URL opens (200, HTML), and its token reads data: the eligibility list
     of the current month in Asia/Jakarta (the API's "today") answers 200 with
     `Authorization: Bearer <token>`;
  4. the banner's eligibility URLs, one unit of each regime, show (polled until
     DEMO_CHECK_ROWS_S) a 2013 row (no `regime`, a score) and a row with `regime` "2022"
     and a predicate, with the dashboard token;
  5. after a few seconds of live traffic the live simulator still runs and both services
     are still healthy.

The demo is left running; `deploy/stack down` stops it (services and simulator by their
.local/run/*.pid). Exit 0 when everything holds, 1 otherwise, naming what failed.

Usage: deploy/check_demo.py [COMMAND...]   (default: deploy/stack demo)

Environment (the short form; deploy/demo.sh documents the DEMO_ knobs):
  DEMO_EMPLOYEES       employees of the demo organisation       (default here 40)
  DEMO_BACKFILL_DAYS   working days of history                  (default here 1)
  DEMO_CHECK_LIVE_S    seconds of live traffic before re-checking (default 5)
  DEMO_CHECK_TIMEOUT   seconds the demo command may take         (default 900)
  DEMO_CHECK_ROWS_S    seconds to wait for each regime's row      (default 40)
Standard library only, so it runs with any python3.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
SHORT_FORM = {"DEMO_EMPLOYEES": "40", "DEMO_BACKFILL_DAYS": "1"}
LIVE_S = float(os.environ.get("DEMO_CHECK_LIVE_S", "5"))
TIMEOUT_S = float(os.environ.get("DEMO_CHECK_TIMEOUT", "900"))
ROWS_S = float(os.environ.get("DEMO_CHECK_ROWS_S", "40"))
API_ZONE = ZoneInfo("Asia/Jakarta")
SIMULATOR_PID = ROOT / ".local/run/simulator.pid"

failures: list[str] = []


def say(text: str) -> None:
    print(f"[demo-check] {text}", flush=True)


def check(ok: bool, what: str, detail: str = "") -> bool:
    """Say whether ``what`` holds; ``detail`` (what was seen) is shown only when not."""
    say(f"ok: {what}" if ok else f"FAILED: {what}{f' ({detail})' if detail else ''}")
    if not ok:
        failures.append(what)
    return ok


def run_demo(command: list[str]) -> tuple[int, str]:
    """Run the demo, echoing its output; its exit code and everything it printed."""
    env = {**SHORT_FORM, **os.environ}
    say(f"running {' '.join(command)} (DEMO_EMPLOYEES={env['DEMO_EMPLOYEES']}, "
        f"DEMO_BACKFILL_DAYS={env['DEMO_BACKFILL_DAYS']})")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []

    def echo() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            lines.append(line)

    # A thread, not "read to EOF": a daemon the demo starts could keep the pipe open.
    reader = threading.Thread(target=echo, daemon=True)
    reader.start()
    try:
        code = process.wait(TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait()
        say(f"the demo took longer than {TIMEOUT_S:.0f} s and was killed")
    reader.join(5)
    return code, "".join(lines)


def get(url: str, token: str | None = None) -> tuple[int, str, str]:
    """Status, content type and body of a GET; status 0 when nothing answers."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return (response.status, response.headers.get("content-type", ""),
                    response.read().decode(errors="replace"))
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), exc.read().decode(errors="replace")
    except OSError as exc:
        return 0, "", str(exc)


def banner_field(banner: str, pattern: str, what: str) -> re.Match[str] | None:
    match = re.search(pattern, banner, re.MULTILINE)
    check(match is not None, f"the banner shows {what}")
    return match


def check_health(urls: list[str]) -> None:
    for url in urls:
        status, _, body = get(url)
        try:
            overall = json.loads(body).get("status")
        except ValueError:
            overall = None
        check(status == 200 and overall == "ok", f"{url} answers 200 ok",
              f"got {status} {body[:300]!r}")


def check_dashboard(url: str) -> None:
    token = parse_qs(urlsplit(url).query).get("token", [""])[0]
    if not check(bool(token), "the dashboard URL carries a token"):
        return
    status, content_type, _ = get(url)
    check(status == 200 and content_type.startswith("text/html"), "the dashboard page opens",
          f"got {status} {content_type}")
    base = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    period = datetime.now(API_ZONE).strftime("%Y-%m")
    for path in (f"/v1/periods/{period}/eligibility?limit=1", "/v1/dashboard/periods"):
        status, _, body = get(base + path, token)
        check(status == 200, f"GET {path} with the printed token answers 200",
              f"got {status} {body[:300]!r}")


def regime_row(url: str, token: str, regime: str) -> dict[str, object] | None:
    """The first row of ``url``'s eligibility page under ``regime`` (a 2013 row leaves
    `regime` out and has a score; a 2022 row has a predicate), or None."""
    status, _, body = get(url, token)
    if status != 200:
        return None
    for row in json.loads(body).get("items", []):
        shown = row.get("regime", "2013")
        if shown == regime and row.get("predicate" if regime == "2022" else "score"):
            return row  # type: ignore[no-any-return]
    return None


def check_regimes(banner: str, dashboard: str) -> None:
    """Each regime's eligibility URL shows a row of that regime before the deadline: the
    services project the demo's events asynchronously."""
    token = parse_qs(urlsplit(dashboard).query).get("token", [""])[0]
    for regime in ("2013", "2022"):
        match = banner_field(banner, rf"^\s*{regime}:\s+(http\S+/eligibility\S*)",
                             f"a regime {regime} eligibility URL")
        if match is None:
            continue
        deadline = time.monotonic() + ROWS_S
        row = regime_row(match.group(1), token, regime)
        while row is None and time.monotonic() < deadline:
            time.sleep(1)
            row = regime_row(match.group(1), token, regime)
        check(row is not None, f"{match.group(1)} shows a regime {regime} row",
              f"none within {ROWS_S:.0f} s")
        if row is not None:
            say(f"  regime {regime} row: category {row.get('category')}, predicate "
                f"{row.get('predicate')}, allowance {row.get('allowance_pct')} %")


def simulator_alive() -> bool:
    try:
        os.kill(int(SIMULATOR_PID.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


def main(command: list[str]) -> int:
    started = time.monotonic()
    code, output = run_demo(command)
    say(f"the demo command took {time.monotonic() - started:.0f} s")
    if not check(code == 0, f"{' '.join(command)} exits 0", f"exit {code}"):
        return 1
    dashboard = banner_field(output, r"^\s*Dashboard:\s+(\S+)", "a dashboard URL")
    health = banner_field(output, r"Health:\s+(\S+)\s+(\S+)", "two health URLs")
    banner_field(output, r"Mint a token:\s+\S+ token \d{18} --role superior",
                 "a superior's NIP to mint a token for")
    if health:
        check_health(list(health.groups()))
    if dashboard:
        check_dashboard(dashboard.group(1))
        check_regimes(output, dashboard.group(1))
    say(f"letting live traffic run for {LIVE_S:.0f} s")
    time.sleep(LIVE_S)
    check(simulator_alive(), f"the live simulator still runs ({SIMULATOR_PID})")
    if health:
        check_health(list(health.groups()))
    if failures:
        say(f"{len(failures)} check(s) failed: " + "; ".join(failures))
        return 1
    say("the demo does what its banner says")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or [str(ROOT / "deploy/stack"), "demo"]))
