"""Launch-to-window time of a calcapp build (frozen or not) on a virtual X screen.

Why a separate script: the number users feel is "double-click to window", which only the
frozen build can show (bootloader unpacking, Qt plugin loading); pytest must not time things.
It starts Xvfb if no DISPLAY is set, launches the app N times, polls with xdotool until a
visible window of class ``calcapp`` exists, reports each run and the median, checks the
window's WM_CLASS (the desktop entry's StartupWMClass must match it) and, optionally, saves
a screenshot of the last run.

    python benchmarks/bench_packaging_startup.py --app /usr/bin/calcapp --runs 5 \
        --screenshot /tmp/calcapp-window.png

Needs: xvfb, xdotool, x11-utils (xprop); imagemagick (import) for the screenshot.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _start_xvfb() -> tuple[subprocess.Popen, str]:
    for n in range(90, 110):
        if not Path(f"/tmp/.X11-unix/X{n}").exists():
            display = f":{n}"
            proc = subprocess.Popen(
                ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(100):
                if Path(f"/tmp/.X11-unix/X{n}").exists():
                    return proc, display
                time.sleep(0.05)
            proc.kill()
    raise SystemExit("could not start Xvfb")


def _find_window(env: dict, wm_class: str) -> str | None:
    out = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--class", wm_class],
        capture_output=True, text=True, env=env,
    ).stdout.split()
    return out[0] if out else None


def launch_once(app: list[str], env: dict, wm_class: str, timeout: float, shot: Path | None):
    """Seconds from exec to a visible window, and that window's WM_CLASS."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(app, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            win = _find_window(env, wm_class)
            elapsed = time.perf_counter() - t0
            if win:
                break
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace")[-2000:]
                raise SystemExit(f"the app exited ({proc.returncode}) before showing a window:\n{err}")
            if elapsed > timeout:
                raise SystemExit(f"no window of class {wm_class!r} after {timeout:.0f} s")
            time.sleep(0.02)
        cls = subprocess.run(
            ["xprop", "-id", win, "WM_CLASS"], capture_output=True, text=True, env=env
        ).stdout.strip()
        if shot is not None:
            time.sleep(1.5)  # let the first paint finish
            subprocess.run(["import", "-window", "root", str(shot)], env=env, check=True)
        return elapsed, cls
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", default="/usr/bin/calcapp", help="program to start")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--class", dest="wm_class", default="calcapp")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--screenshot", type=Path, help="save the screen of the last run here")
    args = parser.parse_args()
    for tool in ("Xvfb", "xdotool", "xprop"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: apt-get install xvfb xdotool x11-utils")

    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)  # a real (virtual) X screen, not offscreen
    env["CALCAPP_HOME"] = tempfile.mkdtemp(prefix="calcapp-bench-home-")
    xvfb = None
    if not env.get("DISPLAY"):
        xvfb, env["DISPLAY"] = _start_xvfb()
    try:
        times = []
        for i in range(args.runs):
            shot = args.screenshot if i == args.runs - 1 else None
            elapsed, cls = launch_once([args.app], env, args.wm_class, args.timeout, shot)
            times.append(elapsed)
            print(f"run {i + 1}: {elapsed:.2f} s   {cls}")
        print(f"median of {len(times)}: {statistics.median(times):.2f} s "
              f"(first {times[0]:.2f} s, min {min(times):.2f} s, max {max(times):.2f} s)")
        if args.screenshot:
            print(f"screenshot: {args.screenshot}")
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
