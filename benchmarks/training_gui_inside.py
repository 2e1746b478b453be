"""How long the Inside tab's background views take for each installed calculator model.

The error map answers every (a, b) below 100 (10,000 inputs for 2- and 3-digit tasks) and
the state view inspects 100-300 inputs, both with the NumPy predictor off the GUI thread.
This times them directly (no Qt), three repeats, and prints medians.

    python benchmarks/training_gui_inside.py
"""

from __future__ import annotations

import statistics
import sys
import time


def timed(fn, repeats: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> int:
    from calcapp.arithmetic.predictor import load_predictor
    from calcapp.nets.registry import list_models
    from calcapp.ui.inside.grids import error_grid, state_map

    models = list_models()
    if not models:
        print("no calculator models installed")
        return 0
    print(f"{'model':<16} {'arch':<10} {'inspect ms':>10} {'state map s':>12} "
          f"{'error map s':>12} {'map inputs':>10} {'map right':>9}")
    for info in models:
        predictor = load_predictor(info)
        text = f"{'1' * info.task.max_digits}+{'2' * info.task.max_digits}"
        t_ins, _ = timed(lambda: predictor.inspect(text), repeats=5)
        t_state, _ = timed(lambda: state_map(predictor, info.task))
        if info.task.two_operand:
            t_err, grid = timed(lambda: error_grid(predictor, info.task))
            cells, right = grid.ok.size, f"{100 * grid.accuracy:.2f}%"
        else:
            t_err, cells, right = float("nan"), 0, "-"
        print(f"{info.name:<16} {info.architecture:<10} {1000 * t_ins:>10.1f} {t_state:>12.2f} "
              f"{t_err:>12.2f} {cells:>10} {right:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
