"""Serving: answers, readings and inspections from the models, never on the GUI thread.

The GUI never calls a model itself. It posts a request, which returns an id at once, and
the reply comes back as one of the manager's signals on the GUI thread, so a slow model can
never freeze the window. Answers and readings are NumPy forward passes run by one worker;
among requests on the same channel only the newest is served ("latest wins": typing fast
never builds a backlog). The Inside tab's whole-grid views run on a second executor with
the same cached predictors, so a 10,000-input error map never delays an answer. Every
error becomes a ``failed`` signal; no worker dies of one.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Callable

from calcapp.engine.workers import Executor, Job


class Serving:
    """Requests and model caches. ``out`` is the manager, whose signals carry the replies."""

    def __init__(self, out, *, predictor_for: Callable[[Any], Any],
                 recognizer_loader: Callable[[], Any], models_loader: Callable[[], list],
                 start: bool = True):
        self.out = out
        self.predictor_for = predictor_for
        self.recognizer_loader = recognizer_loader
        self.models_loader = models_loader
        self.answers = Executor("calcapp-models", 1, start=start, parent=out)
        self.views = Executor("calcapp-views", 2, parent=out)
        self._lock = threading.Lock()
        self._models: list | None = None
        self._predictors: dict[tuple, Any] = {}
        self._warmed = False
        self.closed = False

    # -- requests (GUI thread) ---------------------------------------------------------
    def request_answer(self, text: str, model_name: str | None = None,
                       channel: str = "typing") -> int:
        return self._submit(f"answer:{channel}", self._answer, (text, model_name),
                            done=self.out.answered)

    def request_recognize(self, strokes: list, and_answer: bool = False,
                          model_name: str | None = None) -> int:
        return self._submit("recognize", self._read, (list(strokes), and_answer, model_name),
                            post=self.out.recognized, done=self.out.answered)

    def request_inspect(self, text: str, model_name: str | None = None) -> int:
        return self._submit("inspect", self._inspect, (text, model_name),
                            done=self.out.inspected)

    def request_steps(self, text: str, model_name: str | None = None) -> int:
        """Every step of the working's map (``arithmetic.step_maps.StepMaps``), replied on
        ``inspected`` with this id: what the Inside tab opens a step with."""
        return self._submit("steps", self._steps, (text, model_name), done=self.out.inspected)

    def _submit(self, channel: str, fn, args: tuple, *, done, post=None) -> int:
        def on_done(job: Job, value) -> None:
            if value is not None:
                done.emit(job.id, value)

        job = Job(fn, *args, channel=channel).then(
            done=on_done, error=self._failed,
            post=None if post is None else (lambda job, value: post.emit(job.id, value)))
        return self.answers.submit(job).id

    def _failed(self, job: Job, message: str) -> None:
        if not self.closed:
            self.out.failed.emit(job.id, message)

    def run_on_model(self, info, fn: Callable[[Any], Any], channel: str,
                     done: Callable | None = None, error: Callable | None = None) -> Job:
        """``fn(predictor of info)`` on the views executor; ``done(job, result)`` or
        ``error(job, message)`` on the GUI thread, unless a newer job on ``channel``
        superseded it first."""
        job = Job(self._with_predictor, info, fn, channel=channel).then(done=done, error=error)
        return self.views.submit(job)

    def _with_predictor(self, info, fn):
        return fn(self.predictor(info))

    def warm_up(self) -> None:
        """Load the default model and the recognizer while nothing else waits."""
        if self._warmed:
            return
        self._warmed = True
        for warm in (self._warm_default_model, self._warm_recognizer):
            # no error callback: a model that fails to load fails again, visibly, on request
            self.answers.submit(Job(warm, channel=f"warm:{warm.__name__}", idle=True))

    # -- models (any thread) -----------------------------------------------------------
    def models(self) -> list:
        """The calculator models known now (bundled and user), as ``ModelInfo``."""
        with self._lock:
            cached = self._models
        if cached is None:
            cached = self.reload_models()
        return list(cached)

    def reload_models(self) -> list:
        models = list(self.models_loader())
        with self._lock:
            self._models = models
            self._predictors.clear()
        return models

    def find(self, name: str | None):
        if name is None:
            return None
        for info in self.models():
            if info.name == name:
                return info
        raise LookupError(f"no model named {name!r}")

    def predictor(self, info):
        """The model's predictor, loaded once per version of its weights file."""
        stamp = None
        try:
            stamp = os.stat(Path(info.path) / "model.keras").st_mtime_ns
        except (OSError, TypeError):
            pass
        key = (str(info.path), stamp)
        with self._lock:
            predictor = self._predictors.get(key)
        if predictor is None:
            predictor = self.predictor_for(info)
            with self._lock:
                self._predictors[key] = predictor
        return predictor

    def forget_recognizer(self) -> None:
        """After a fine-tune: the next reading loads the new personal weights."""
        try:
            from calcapp.handwriting.recognizer import load_recognizer
        except ImportError:
            return
        clear = getattr(load_recognizer, "cache_clear", None)
        if clear is not None:
            clear()

    # -- the work (a worker thread) ----------------------------------------------------
    def _answer(self, text: str, model_name: str | None):
        from calcapp.arithmetic.answering import answer_many

        info = self.find(model_name)
        return answer_many([text], model=info, models=self.models(),
                           predictor_for=self.predictor)[0]

    def _read(self, strokes: list, and_answer: bool, model_name: str | None):
        """Yields the reading (``recognized``), then returns its answer (``answered``, same
        id): pen-up to answer costs one trip between the threads instead of two."""
        reading = self.recognizer_loader().read_strokes(strokes)
        yield reading
        if and_answer and reading.expression:
            return self._answer(reading.expression, model_name)
        return None

    def _inspect(self, text: str, model_name: str | None):
        from calcapp.nets.registry import best_for

        info = self.find(model_name) or best_for(text, self.models())
        if info is None:
            raise LookupError("no model covers this input")
        return self.predictor(info).inspect(text)

    def _steps(self, text: str, model_name: str | None):
        from calcapp.arithmetic.step_maps import pass_maps
        from calcapp.nets.registry import best_for

        info = self.find(model_name) or best_for(text, self.models())
        if info is None:
            raise LookupError("no model covers this input")
        predictor = self.predictor(info)
        own = getattr(predictor, "step_maps", None)  # the general model's read maps
        return own(text) if callable(own) else pass_maps(predictor, text)

    def _warm_default_model(self) -> None:
        models = self.models()
        if models:
            self.predictor(max(models, key=lambda m: m.exact_match or 0.0))

    def _warm_recognizer(self) -> None:
        self.recognizer_loader()

    # -- shutdown ----------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.answers.is_running()

    def start(self) -> None:
        self.answers.start()

    def shutdown(self, wait: bool = True) -> None:
        self.closed = True
        self.answers.shutdown(wait=False)
        self.views.shutdown(wait=False)
        if wait:
            self.answers.shutdown(wait=True)
            self.views.shutdown(wait=True, timeout=60)
