"""How live the Training tab stays while a model trains.

Runs one training from the TrainingPanel (offscreen) and measures, on the GUI thread:
- curve refreshes per second (goal: >= 5) and how soon a batch point is drawn after it
  arrives (the timer runs at 10 Hz; refreshes happen only when new points came in),
- the time one refresh takes (``panel.flush``: SQLite append + setData + progress),
- event-loop stalls: how late a 20 ms heartbeat timer fires (what a user feels as lag),
- answers served by the model manager meanwhile (inference must keep working).

    python benchmarks/training_gui_refresh.py            # real trainer (TensorFlow)
    python benchmarks/training_gui_refresh.py --fake     # fake trainer at ~1000 batches/s

Prints medians and 95th percentiles (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fake", action="store_true", help="fake trainer, no TensorFlow")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--architecture", default="lstm")
    args = ap.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["CALCAPP_HOME"] = tempfile.mkdtemp(prefix="calcapp-bench-")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from calcapp.engine.manager import ModelManager
    from calcapp.ui.training.panel import TrainingPanel

    train_fn = None
    if args.fake:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from test_training_gui_fakes import fake_train

        def train_fn(config, out_dir, callback=None, control=None, resume_from=None):
            return fake_train(config, out_dir, callback, control, steps_per_epoch=2000,
                              delay_s=0.001)

    manager = ModelManager(warm=False, train_fn=train_fn)
    panel = TrainingPanel(manager)
    panel.resize(1300, 850)
    panel.show()
    f = panel.form
    f.task.setCurrentText("add1")
    f.architecture.setCurrentText(args.architecture)
    f.units.setValue(16)
    f.samples.setValue(4000)
    f.batch.setValue(32)
    f.epochs.setValue(args.epochs)
    f.name.setText("bench-add1")

    flush_ms: list[float] = []
    real_flush = panel.flush

    draw_delay_ms: list[float] = []  # batch point arrival (GUI thread) -> on the plot

    def timed_flush():
        arrived = [pt[3] for live in panel.live.values() for pt in live.buffer]
        t = time.perf_counter()
        real_flush()
        flush_ms.append(1000 * (time.perf_counter() - t))
        now = time.time()
        draw_delay_ms.extend(1000 * (now - a) for a in arrived)

    panel.timer.timeout.disconnect()
    panel.timer.timeout.connect(timed_flush)

    beats: list[float] = []
    heart = QTimer()
    heart.setInterval(20)
    heart.timeout.connect(lambda: beats.append(time.perf_counter()))

    answers: list[float] = []
    sent: dict[int, float] = {}
    manager.answered.connect(lambda rid, _a: answers.append(time.perf_counter() - sent.pop(rid, 0)))
    ask = QTimer()
    ask.setInterval(200)
    ask.timeout.connect(lambda: sent.__setitem__(
        manager.request_answer("12+34", channel="bench"), time.perf_counter()))

    first_batch: list[float] = []
    manager.training_batch.connect(
        lambda *_: first_batch.append(time.perf_counter()) if not first_batch else None)

    loop = QEventLoop()
    manager.training_finished.connect(lambda *_: loop.quit())
    manager.training_failed.connect(lambda _r, msg: (print("failed:", msg), loop.quit()))
    t0 = time.perf_counter()
    panel.start()
    heart.start()
    ask.start()
    loop.exec()
    t_end = time.perf_counter()
    heart.stop()
    ask.stop()
    manager.shutdown()

    start = first_batch[0] if first_batch else t0
    live_s = t_end - start
    redraws = panel.redraws
    gaps = [1000 * (b - a) - 20 for a, b in zip(beats, beats[1:]) if a >= start]
    print(f"trainer: {'fake' if args.fake else args.architecture}, run {t_end - t0:.1f} s "
          f"(first batch after {start - t0:.1f} s), live {live_s:.1f} s")
    print(f"curve refreshes: {redraws} = {redraws / max(live_s, 1e-9):.1f} per s "
          f"(timer {1000 // panel.timer.interval()} Hz)")
    print(f"refresh time: median {statistics.median(flush_ms):.2f} ms, "
          f"p95 {pct(flush_ms, 0.95):.2f} ms, max {max(flush_ms):.2f} ms")
    if draw_delay_ms:
        print(f"batch point drawn after arriving: median {statistics.median(draw_delay_ms):.0f} "
              f"ms, p95 {pct(draw_delay_ms, 0.95):.0f} ms, max {max(draw_delay_ms):.0f} ms "
              f"({len(draw_delay_ms)} points)")
    if gaps:
        print(f"event-loop lateness (20 ms heartbeat): median {statistics.median(gaps):.1f} ms, "
              f"p95 {pct(gaps, 0.95):.1f} ms, max {max(gaps):.1f} ms")
    if answers:
        print(f"answers during training: {len(answers)}, median "
              f"{1000 * statistics.median(answers):.1f} ms, p95 {1000 * pct(answers, 0.95):.1f} ms")
    steps, _, _ = panel.store.batch_curve(panel.store.list_runs()[0].run_id)
    print(f"batch points stored: {len(steps)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
