"""The main window: the calculator tab, the other helpers' tabs, menus and the status bar.

Everything that computes goes through ``window.manager`` (the engine's Qt edge); the
window only posts requests and draws what comes back. Which reply still matters is the
calculator controller's business (``calculator.controller``), so the display never shows
an answer to an older input. Typing, clicking keys, reusing history and writing ink all
end as text in the display, answered the same way.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, QTimer, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QMainWindow, QMessageBox, QSplitter, QTabWidget, QVBoxLayout,
    QWidget,
)

from calcapp.paths import data_home, resources_dir
from calcapp.ui import theme
from calcapp.ui.calculator import keyboard
from calcapp.engine.history import HistoryStore
from calcapp.ui.calculator.canvas import CanvasPanel
from calcapp.ui.calculator.controller import CalculatorController
from calcapp.ui.calculator.display import Display
from calcapp.ui.calculator.history_view import HistoryView
from calcapp.ui.calculator.keypad import BACKSPACE, CLEAR, EQUALS, Keypad
from calcapp.ui.calculator.model_picker import ModelPicker

TF_DELAY_MS = 2000
INSIDE = "Inside the model"


def _training_tab(manager, parent):
    from calcapp.ui.training.panel import TrainingPanel

    return TrainingPanel(manager, parent)


def _inside_tab(manager, parent):
    from calcapp.ui.inside.panel import InsidePanel

    return InsidePanel(manager, parent)


def lazy_tabs() -> list:
    """(title, builder) of the tabs built on first view. Why lazily: plotting (pyqtgraph)
    costs about a second to import and build, which would double the time to the first
    window; so each builder imports its tab's module only when called."""
    return [("Training", _training_tab), (INSIDE, _inside_tab)]


def settings() -> QSettings:
    """Settings in an INI file in the data home (so CALCAPP_HOME moves them too)."""
    return QSettings(str(data_home() / "settings.ini"), QSettings.IniFormat)


def _save_sample(strokes, label: str, line=None) -> None:
    """A correction is learnt at once (the personal memory, read from the next pen-up) and kept
    as a training sample for a later fine-tune. ``line``: all the ink, for the line's height."""
    from calcapp.handwriting.memory import PersonalMemory
    from calcapp.handwriting.personal import SampleStore

    PersonalMemory().add(strokes, label, line)
    SampleStore().add(strokes, label)


class MainWindow(QMainWindow):
    shown = Signal()  # the first time the window is on screen (benchmarks wait for it)
    answerShown = Signal(object)  # an Answer was drawn (benchmarks and tests)

    def __init__(self, manager=None, history: HistoryStore | None = None, *,
                 start_tf: bool = True, tf_delay_ms: int = TF_DELAY_MS,
                 sample_saver=_save_sample, confirm=None):
        super().__init__()
        if manager is None:
            from calcapp.engine.manager import ModelManager

            manager = ModelManager()
        self.manager = manager
        self.history_store = history or HistoryStore()
        self.sample_saver = sample_saver
        self.confirm = confirm or self._confirm_dialog
        self._start_tf, self._tf_delay_ms = start_tf, tf_delay_ms
        self._was_shown = False
        self._followed = None  # the calculator's expression the Inside tab last took up
        self._trainings: dict[str, str] = {}

        self.setWindowTitle("calcapp")
        icon = resources_dir() / "icons" / "calcapp.png"
        if icon.is_file():
            self.setWindowIcon(QIcon(str(icon)))
        self._build()
        self.controller = CalculatorController(self.manager, self.picker.current_model, self)
        self._build_menus()
        self._connect()
        self.key_router = keyboard.setup(self)  # Tab order, keys anywhere, accessible names
        self.picker.set_models(self.manager.models())
        self._restore_settings()
        self._say_what_was_unreadable()

    def _say_what_was_unreadable(self) -> None:
        """A damaged history set aside, or a model of the user's whose card cannot be read
        (left out of the picker), is said at start rather than left for the user to find."""
        from calcapp.nets.registry import unreadable_models

        said, why = [], []
        kept = getattr(self.history_store, "set_aside", None)
        if kept is not None:
            said.append("history damaged and kept aside")
            why.append(f"The history file was damaged: it is kept as {kept.name}, and a new history has begun.")
        broken = unreadable_models()
        if broken:
            said.append(f"unreadable model card{'s' if len(broken) > 1 else ''} left out: "
                        + ", ".join(folder.name for folder, _ in broken))
            why += [f"The model {folder.name} is left out: {reason}" for folder, reason in broken]
        if said:  # short enough for the status bar at 800 pixels; the whole story in its tooltip
            self.statusBar().showMessage("; ".join(said), 60000)
            self.statusBar().setToolTip("\n".join(why))

    # -- construction ------------------------------------------------------------------
    def _build(self) -> None:
        self.display = Display()
        self.keypad = Keypad()
        self.picker = ModelPicker()
        self.canvas_panel = CanvasPanel()
        self.canvas = self.canvas_panel.canvas
        self.history = HistoryView(self.history_store)

        picker_row = QHBoxLayout()
        picker_row.addWidget(QLabel("Model"))
        picker_row.addWidget(self.picker, 1)
        self.keypad.setMaximumHeight(300)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(picker_row)
        left_layout.addWidget(self.keypad, 3)
        left_layout.addWidget(self.history, 2)
        # The canvas gets the whole right side: a written line needs width and height.
        self.right_split = QSplitter(Qt.Vertical)  # kept for saved layouts; holds the canvas
        self.right_split.addWidget(self.canvas_panel)
        self.split = QSplitter(Qt.Horizontal)
        self.split.addWidget(left)
        self.split.addWidget(self.right_split)
        self.split.setStretchFactor(0, 2)
        self.split.setStretchFactor(1, 3)
        self.split.setChildrenCollapsible(False)
        calc = QWidget()
        calc_layout = QVBoxLayout(calc)
        calc_layout.addWidget(self.display)
        calc_layout.addWidget(self.split, 1)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(calc, "Calculator")
        self.calculator_tab = calc
        self._lazy_tabs: dict[QWidget, object] = {}
        for title, build in lazy_tabs():
            holder = QWidget()
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
            self._lazy_tabs[holder] = build
            self.tabs.addTab(holder, title)
        self.tabs.currentChanged.connect(self._ensure_tab)
        self.tabs.currentChanged.connect(self._follow_answer)
        self.setCentralWidget(self.tabs)

        bar = self.statusBar()
        self.tf_label = QLabel("TensorFlow: not loaded")
        self.model_label = QLabel("")
        self.training_label = QLabel("")
        for label in (self.training_label, self.model_label, self.tf_label):
            label.setContentsMargins(6, 0, 6, 0)
            bar.addPermanentWidget(label)
        screen = self.screen().availableGeometry()  # an 800x600 screen gets a window that fits it
        self.resize(min(980, screen.width()), min(680, screen.height()))

    def _ensure_tab(self, index: int) -> QWidget | None:
        """Build a lazy tab's real panel inside its holder; None if it cannot be built."""
        holder = self.tabs.widget(index)
        build = self._lazy_tabs.pop(holder, None)
        if build is None:
            return holder
        try:
            panel = build(self.manager, holder)
        except ImportError as exc:
            label = QLabel(f"This tab is not available: {exc}")
            label.setAlignment(Qt.AlignCenter)
            holder.layout().addWidget(label)
            return None
        holder.layout().addWidget(panel)
        holder.panel = panel
        keyboard.name_unnamed(panel)  # screen readers: every control has a name
        if hasattr(panel, "confirm"):  # "Make active model" asks before a weaker model
            panel.confirm = self.confirm
        if hasattr(panel, "model_activated"):  # "Make active model" in the Training tab
            panel.model_activated.connect(self.picker.select)
        return panel

    def panel(self, title: str) -> QWidget | None:
        """The panel of a tab by title, built if needed (tests, benchmarks)."""
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i) == title:
                self._ensure_tab(i)
                return getattr(self.tabs.widget(i), "panel", self.tabs.widget(i))
        return None

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        edit = self.menuBar().addMenu("&Edit")
        edit.addAction("Copy result\tCtrl+C").triggered.connect(self.copy_result)
        edit.addAction("Paste expression\tCtrl+V").triggered.connect(self.paste_expression)
        edit.addAction("New expression (clears the ink too)\tEsc").triggered.connect(self.clear)
        edit.addSeparator()
        edit.addAction("Clear ink").triggered.connect(self.canvas.clear)
        edit.addAction("Open a step of the working in the Inside tab\tCtrl+I").triggered.connect(
            self.display.working.open_current)
        QShortcut(QKeySequence("Ctrl+I"), self, self.display.working.open_current)
        edit.addAction("Clear history\u2026").triggered.connect(self.history._ask_clear)
        # Wherever the focus is (the model picker, a tab): Ctrl+C copies the result and
        # Ctrl+V pastes an expression. The expression field handles them itself first.
        for keys, slot in ((QKeySequence.Copy, self.copy_result),
                           (QKeySequence.Paste, self.paste_expression)):
            QShortcut(keys, self, slot)
        view = self.menuBar().addMenu("&View")
        self.theme_actions = theme.add_choices(view, self.set_theme)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&About calcapp").triggered.connect(self.show_about)

    def _connect(self) -> None:
        c = self.controller
        c.answer_ready.connect(self._show_answer)
        c.answer_kept.connect(self.history.add)
        c.answer_cleared.connect(self.display.clear_answer)
        c.answer_failed.connect(self.display.show_message)
        c.reading_ready.connect(self._on_reading)
        c.reading_failed.connect(
            lambda message: self.canvas_panel.status.setText(f"handwriting: {message}"))
        m = self.manager
        m.tf_status.connect(self._on_tf_status)
        m.models_changed.connect(lambda: self.picker.set_models(self.manager.models()))
        m.training_started.connect(self._on_training_started)
        m.training_epoch.connect(self._on_training_epoch)
        m.training_finished.connect(lambda rid, res: self._on_training_done(rid, "finished"))
        m.training_failed.connect(lambda rid, msg: self._on_training_done(rid, f"failed: {msg}"))
        edit = self.display.edit
        edit.textEdited.connect(self._on_typed)
        edit.textChanged.connect(self.controller.text_changed)
        edit.computeRequested.connect(self.compute)
        edit.clearRequested.connect(self.clear)
        edit.historyStep.connect(self.step_history)
        edit.copyResultRequested.connect(self.copy_result)
        self.keypad.pressed.connect(self.press_key)
        self.picker.changed.connect(self._on_model_chosen)
        self.history.chosen.connect(self._reuse)
        self.display.working.step_opened.connect(self.open_step)
        self.canvas.inkChanged.connect(self._on_ink)
        self.canvas.expressionEdited.connect(lambda text: self._set_text(text, "ink"))
        self.canvas.symbolCorrected.connect(self._on_corrected)

    # -- input ---------------------------------------------------------------------------
    def press_key(self, key: str) -> None:
        edit = self.display.edit
        if key == EQUALS:
            self.compute()
        elif key == CLEAR:
            self.clear()
        elif key == BACKSPACE:
            edit.erase_back()
            self.controller.came_from("typing")
        else:
            edit.type_text(key)
            self.controller.came_from("typing")
        edit.setFocus()

    def compute(self) -> None:
        """Enter / =: answer now and keep the answer in the history."""
        self.controller.compute(self.display.text())

    def clear(self) -> None:
        """Esc: a new expression. The ink goes too (one undoable step on the canvas), or
        the next stroke would bring the old expression back."""
        self.canvas.clear()
        self.display.set_text("")
        self.display.clear_answer()
        self.controller.typed()

    def set_theme(self, which: str) -> None:
        """View > Theme: redraw what carries the theme's colours."""
        theme.set_choice(QGuiApplication.instance(), which)
        self.theme_actions[which].setChecked(True)
        settings().setValue("view/theme", which)
        if self.display.answer is not None:
            self.display.show_answer(self.display.answer)
        self.canvas.update()

    def copy_result(self) -> None:
        result = self.display.result_text()
        if result is not None:
            QGuiApplication.clipboard().setText(result)
            self.statusBar().showMessage(f"copied {result}", 2000)

    def paste_expression(self) -> None:
        self.display.edit.paste_expression(QGuiApplication.clipboard().text())
        self.display.edit.setFocus()

    def step_history(self, step: int) -> None:
        entries = self.history.entries()
        if not entries:
            return
        pos = self.controller.step_history(step, len(entries))
        self._set_text("" if pos < 0 else entries[pos].expression, "history")

    def _reuse(self, expression: str) -> None:
        self._set_text(expression, "history")
        self.display.edit.setFocus()

    def _set_text(self, text: str, source: str) -> None:
        self.controller.came_from(source)
        self.display.set_text(text)

    def _on_typed(self, _text: str) -> None:
        self.controller.typed()

    def open_step(self, index: int) -> None:
        """Open step ``index`` of the working on screen in the Inside tab, with the model
        that wrote it."""
        panel, text = self._inside_answer()
        if panel is None:
            return
        self._followed = text  # switching tabs below need not hand the tab the answer first
        self.tabs.setCurrentWidget(panel.parentWidget())
        panel.open_step(text, self.display.answer.model, index)

    def _follow_answer(self, index: int) -> None:
        """Opening the Inside tab shows the calculator's answer (a first-timer who just worked
        12*34 looks for 12*34 there, not the tab's example), unless the tab holds an expression
        the user typed into it."""
        if self.tabs.tabText(index) != INSIDE:
            return
        panel, text = self._inside_answer()
        if panel is not None and text != self._followed and not panel.typed_here:
            self._followed = text
            panel.open_step(text, self.display.answer.model, None)

    def _inside_answer(self):
        """(Inside panel, the answer's expression) when the answer on screen has a working and
        the tab can show it, else (None, None) (a tab that could not be built shows why)."""
        answer = self.display.answer
        if answer is None or not answer.steps:
            return None, None
        panel = self.panel(INSIDE)
        if not hasattr(panel, "open_step"):
            return None, None
        return panel, answer.expression or answer.input

    # -- ink -----------------------------------------------------------------------------
    def _on_ink(self, strokes: list) -> None:
        if not strokes:
            self.canvas_panel.status.setText("")
        self.controller.ink_changed(strokes, self.canvas.version)

    def _on_reading(self, rid: int, reading, version: int) -> None:
        if self.canvas.set_reading(reading, version):
            self.canvas_panel.status.setText("")
            if not self.controller.reading_may_set_text(rid):
                return
            text = self.canvas.expression()
            self.controller.ink_text_shown(rid, reading.expression, text, self.display.text())
            self._set_text(text, "ink")

    def _on_corrected(self, strokes: list, label: str) -> None:
        try:
            self.sample_saver(strokes, label, list(self.canvas.strokes))
        except Exception as exc:  # a missing recognizer package, a full disk...
            self.statusBar().showMessage(f"the correction could not be saved: {exc}", 5000)
            return
        self.statusBar().showMessage(f"learnt '{label}' from your correction", 3000)

    def _on_model_chosen(self, name: str | None) -> None:
        """The status names the choice at once, even while the input answers nothing."""
        self.model_label.setText(f"model: {name or 'auto'}")
        self.controller.request(self.display.text())

    # -- replies from the manager -----------------------------------------------------
    def _show_answer(self, answer, final: bool) -> None:
        self.display.show_answer(answer, final=final)
        if final and not answer.error and answer.input == self.display.text():
            self.display.edit.mark_computed()  # the next digit starts afresh, an operator goes on
        chosen = self.picker.current_model()
        if answer.model:
            self.model_label.setText(f"model: {answer.model}" + ("" if chosen else " (auto)"))
        elif answer.outside:
            self.model_label.setText(f"model: {chosen or 'none covers the input'}")
        self.answerShown.emit(answer)


    def _on_tf_status(self, state: str) -> None:
        text = {"loading": "TensorFlow: loading\u2026"}.get(state, f"TensorFlow: {state}")
        self.tf_label.setText(text)

    def _on_training_started(self, run_id: str, info: dict) -> None:
        self._trainings[run_id] = f"training {info.get('name', run_id)}"
        self._show_trainings()

    def _on_training_epoch(self, run_id: str, report) -> None:
        name = self._trainings.get(run_id, f"training {run_id}").split(":")[0]
        cell = (getattr(report, "extra", None) or {}).get("cell")  # a columns run: rounds
        where = f"{cell} cell, round {report.epoch}" if cell else \
            f"epoch {report.epoch}/{report.epochs}"
        self._trainings[run_id] = f"{name}: {where}"
        self._show_trainings()

    def _on_training_done(self, run_id: str, how: str) -> None:
        name = self._trainings.pop(run_id, f"training {run_id}").split(":")[0]
        self._show_trainings()
        self.statusBar().showMessage(f"{name} {how}", 6000)

    def _show_trainings(self) -> None:
        self.training_label.setText(" \u2022 ".join(self._trainings.values()))

    # -- window life -------------------------------------------------------------------
    def resizeEvent(self, event):
        """The answer's working gets the height the rest does not need (``Working.fit_window``)."""
        super().resizeEvent(event)
        self.display.working.fit_window(self.height())

    def showEvent(self, event):
        super().showEvent(event)
        if not self._was_shown:
            self._was_shown = True
            self.display.edit.setFocus()
            self.shown.emit()
            QTimer.singleShot(0, self.manager.warm_up)
            if self._start_tf:
                QTimer.singleShot(self._tf_delay_ms, self.manager.start_tf)

    def show_about(self) -> None:
        from calcapp.ui.about import show_about

        show_about(self, getattr(self.manager, "tf_state", None),
                   getattr(self.manager, "tf_version", None))

    def _restore_settings(self) -> None:
        s = settings()
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        for key, split in (("window/split", self.split), ("window/right_split", self.right_split)):
            state = s.value(key)
            if state is not None:
                split.restoreState(state)
        self.picker.select(s.value("model/name") or None)
        if s.value("view/theme") in theme.CHOICES and s.value("view/theme") != theme.choice():
            self.set_theme(s.value("view/theme"))
        self.tabs.setCurrentIndex(int(s.value("window/tab", 0) or 0))

    def save_settings(self) -> None:
        s = settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/split", self.split.saveState())
        s.setValue("window/right_split", self.right_split.saveState())
        s.setValue("model/name", self.picker.current_model() or "")
        s.setValue("window/tab", self.tabs.currentIndex())
        s.sync()

    @staticmethod
    def _confirm_dialog(parent, title: str, question: str) -> bool:
        return QMessageBox.question(parent, title, question) == QMessageBox.Yes

    def closeEvent(self, event):
        running = self.manager.running_trainings() if not self.manager.closed else []
        if running:
            ok = self.confirm(self, "A training is running",
                              f"{len(running)} training(s) still running. Stop and quit? "
                              "Each keeps its best checkpoint so far.")
            if not ok:
                event.ignore()
                return
            for run_id in running:
                self.manager.stop_training(run_id)
        self.save_settings()
        for i in range(self.tabs.count()):  # let the other tabs end their own work
            panel = getattr(self.tabs.widget(i), "panel", None)
            if panel is not None:
                panel.close()
        if running:
            self.hide()  # a stopping training may take seconds to save its checkpoint
            QGuiApplication.processEvents()
        self.manager.shutdown(wait=True)
        self.history_store.close()
        event.accept()
