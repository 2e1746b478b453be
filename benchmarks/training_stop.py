"""How soon Stop ends a run in a child process (issue 18: within 1 s, at batch granularity).

Starts the Training tab's default config through the real ModelManager, presses Stop at
``--at-step`` (or right after the first epoch's report with ``--at-epoch``), and prints
the seconds from Stop to ``training_finished`` and the steps seen around it.

    python benchmarks/training_stop.py --at-step 45
    python benchmarks/training_stop.py --at-epoch --grace 60   # the child's own stop only
"""

import os, sys, tempfile, time

def main():
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--at-step", type=int, default=45)
    ap.add_argument("--at-epoch", action="store_true", help="stop when epoch 1 is reported")
    ap.add_argument("--grace", type=float, default=None,
                    help="seconds before the engine ends a child that has not stopped "
                         "(default: the engine's STOP_GRACE_S; a large value shows how "
                         "soon the child stops by itself)")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["CALCAPP_HOME"] = tempfile.mkdtemp()
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from calcapp.engine.manager import ModelManager
    from calcapp.ui.training.form import SetupForm
    if args.grace is not None:
        import calcapp.engine.worker_process as W
        W.STOP_GRACE_S = args.grace
    m = ModelManager(warm=False)
    cfg = SetupForm().config()
    cfg.hparams["epochs"] = 50
    cfg.hparams["target_exact"] = None
    state = {}
    m.training_epoch.connect(lambda rid, r: state.setdefault("epoch", time.perf_counter()))
    def batch(rid, e, s, l):
        state["last_batch"] = time.perf_counter(); state["step"] = s
        if "stop_step" in state and "first_after" not in state:
            state["first_after"] = s
    m.training_batch.connect(batch)
    m.training_finished.connect(lambda rid, res: state.setdefault("done", time.perf_counter()))
    rid = m.start_training(cfg)
    t0 = time.perf_counter()
    def ready():
        return "epoch" in state if args.at_epoch else state.get("step", 0) >= args.at_step

    while not ready() and time.perf_counter() - t0 < 300:
        app.processEvents(); time.sleep(0.01)
    t_stop = time.perf_counter()
    m.stop_training(rid)
    state["stop_step"] = state.get("step")
    while "done" not in state and time.perf_counter() - t_stop < 120:
        app.processEvents(); time.sleep(0.005)
    print(f"stop sent at step {state.get('stop_step')}; last step {state.get('step')}")
    print(f"stop -> finished: {state.get('done', float('nan')) - t_stop:.2f} s; last batch after stop: {state.get('last_batch', 0) - t_stop:.2f} s")
    m.shutdown(wait=True)
    

if __name__ == "__main__":
    main()
