"""The Training tab's setup form: what to learn (task), with what (architecture) and how.

It only gathers choices and turns them into a ``TrainConfig``; it never trains. A recipe
(``calcapp.arithmetic.recipes``) fills every field at once, so a reader can start from the seeds'
experiments and change one thing at a time. A columns recipe (digit cells, the general model)
swaps the seq2seq fields for its own (``columns_settings``): its architecture is fixed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from calcapp.arithmetic.hparams_check import check_training
from calcapp.expr.tasks import PRESETS, TaskSpec
from calcapp.nets.registry import safe_model_name
from calcapp.ui.training.columns_settings import ColumnsSettings

ARCHITECTURES = ("tiny-rnn", "lstm", "bilstm", "attention", "transformer")
CUSTOM = "custom"
JOB_CALCULATOR = "Train a calculator model"
JOB_FINETUNE = "Fine-tune the recognizer on my samples"

# The Devices choice: label, ``--distribute`` name (several hosts: the CLI only)
DEVICE_CHOICES = (
    ("one device", "none"),
    ("all local GPUs (mirrored)", "mirrored"),
    ("2 CPU devices (mirrored)", "cpu:2"),
    ("all JAX devices (data parallel)", "jax-data-parallel"),
)

# What a fresh form proposes: 1-digit addition with attention reaches 100% in about a
# minute (benchmarks/training_defaults.py; figures in benchmarks/results/training.md).
# The run stops as soon as every validation expression is right (target_exact).
DEFAULT_TASK = "add1"
DEFAULT_ARCHITECTURE = "attention"
DEFAULT_HPARAMS = {
    "units": 32,
    "layers": 1,
    "samples_per_epoch": 2048,  # whole batches: a short last batch costs Keras a second trace
    "batch_size": 64,
    "learning_rate": 0.01,
    "epochs": 20,
    "seed": 0,
    "holdout": 0.05,
}
DEFAULT_EXTRA = {"target_exact": 1.0}


@dataclass
class FormConfig:
    """Stand-in with TrainConfig's fields, used only while calcapp.arithmetic.trainer is missing."""

    name: str
    task: TaskSpec
    architecture: str
    hparams: dict = field(default_factory=dict)


def make_config(name: str, task: TaskSpec, architecture: str, hparams: dict):
    try:
        from calcapp.arithmetic.trainer import TrainConfig
    except ImportError:
        return FormConfig(name, task, architecture, dict(hparams))
    return TrainConfig(name=name, task=task, architecture=architecture, hparams=dict(hparams))


def load_recipes() -> list:
    """Recipes from calcapp.arithmetic.recipes, or none while that module is missing or broken."""
    try:
        from calcapp.arithmetic.recipes import list_recipes

        return list_recipes()
    except Exception:  # a broken recipe file must not break the tab
        return []


def _spin(lo: int, hi: int, value: int, step: int = 1) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setValue(value)
    return box


class SetupForm(QWidget):
    """Job kind, recipe, task (preset or custom), architecture and hyperparameters."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.recipes = load_recipes()
        self.columns_recipe = None  # the columns recipe picked, if one is

        self.job = QComboBox()
        self.job.addItems([JOB_CALCULATOR, JOB_FINETUNE])
        self.recipe = QComboBox()
        self.recipe.addItem("(none)")
        for r in self.recipes:
            self.recipe.addItem(r.name)
            self.recipe.setItemData(self.recipe.count() - 1, getattr(r, "description", ""),
                                    3)  # Qt.ToolTipRole
        self.name = QLineEdit()
        self.name.setPlaceholderText("model name (default: task-architecture)")
        self.task = QComboBox()
        # (the general task's cells train from their own recipe: calcapp train --recipe general)
        self.task.addItems([n for n, t in PRESETS.items() if not t.exact_quotients] + [CUSTOM])
        self.architecture = QComboBox()
        self.architecture.addItems(ARCHITECTURES)
        self.task.setCurrentText(DEFAULT_TASK)
        self.architecture.setCurrentText(DEFAULT_ARCHITECTURE)
        self._build_custom_task()
        self._build_hyperparameters()
        self.columns = ColumnsSettings()
        self.columns_kind = QLabel("")

        self.top = top = QFormLayout()
        top.addRow("job", self.job)
        top.addRow("recipe", self.recipe)
        top.addRow("name", self.name)
        top.addRow("task", self.task)
        top.addRow("architecture", self.architecture)
        top.addRow("model", self.columns_kind)
        top.addRow("epochs", self.epochs)
        top.addRow("devices", self._build_devices())
        self._arrange(top)

        self.task.currentTextChanged.connect(self._task_changed)
        self.job.currentIndexChanged.connect(self._job_changed)
        self.recipe.currentIndexChanged.connect(self._recipe_changed)
        self._task_changed(self.task.currentText())
        self._job_changed()

    def _build_custom_task(self) -> None:
        """The fields of a custom task (shown when the task is "custom")."""
        self.custom = QGroupBox("custom task")
        self.max_digits = _spin(1, 40, 1)
        self.operators = {op: QCheckBox(op) for op in "+-*/"}
        self.operators["+"].setChecked(True)
        ops = QHBoxLayout()
        for box in self.operators.values():
            ops.addWidget(box)
        ops.addStretch(1)
        self.min_operands = _spin(1, 6, 2)
        self.max_operands = _spin(1, 6, 2)
        self.flags = {
            key: QCheckBox(label)
            for key, label in [
                ("brackets", "brackets"),
                ("negatives", "negatives"),
                ("spaces", "spaces"),
                ("leading_zeros", "leading zeros"),
                ("reverse_input", "reverse input"),
                ("reverse_output", "reverse output"),
            ]
        }
        flags = QGridLayout()
        for i, box in enumerate(self.flags.values()):
            flags.addWidget(box, i // 3, i % 3)
        cform = QFormLayout(self.custom)
        cform.addRow("digits per operand", self.max_digits)
        cform.addRow("operators", ops)
        cform.addRow("operands (min)", self.min_operands)
        cform.addRow("operands (max)", self.max_operands)
        cform.addRow(flags)

    def _build_hyperparameters(self) -> None:
        """The hyperparameters' fields, at the defaults that reach 100% on add1."""
        self.units = _spin(1, 1024, DEFAULT_HPARAMS["units"])
        self.layers = _spin(1, 8, DEFAULT_HPARAMS["layers"])
        self.samples = _spin(32, 10_000_000, DEFAULT_HPARAMS["samples_per_epoch"], 500)
        self.batch = _spin(1, 4096, DEFAULT_HPARAMS["batch_size"])
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1.0)
        self.lr.setSingleStep(0.0005)
        self.lr.setValue(DEFAULT_HPARAMS["learning_rate"])
        self.epochs = _spin(1, 10_000, DEFAULT_HPARAMS["epochs"])
        self.seed = _spin(0, 2**31 - 1, DEFAULT_HPARAMS["seed"])
        self.holdout = QDoubleSpinBox()
        self.holdout.setDecimals(3)
        self.holdout.setRange(0.0, 0.3)
        self.holdout.setSingleStep(0.01)
        self.holdout.setValue(DEFAULT_HPARAMS["holdout"])
        self.holdout.setToolTip("share of all expressions kept out of training for each of "
                                "validation and test; 0 validates on every input (only "
                                "sensible for tiny tasks such as 1-digit addition)")
        self.extra_hparams: dict = dict(DEFAULT_EXTRA)  # keys the form has no field for

        self.hp = QGroupBox("hyperparameters")
        hform = QFormLayout(self.hp)
        hform.addRow("hidden units", self.units)
        hform.addRow("layers", self.layers)
        hform.addRow("samples per epoch", self.samples)
        hform.addRow("batch size", self.batch)
        hform.addRow("learning rate", self.lr)
        hform.addRow("held-out share", self.holdout)
        hform.addRow("seed", self.seed)

    def _arrange(self, top: QFormLayout) -> None:
        """The main choices stay in view; only the task's fields and the hyperparameters
        scroll, so the Training tab fits 800x600."""
        inner = QWidget()
        iv = QVBoxLayout(inner)
        iv.setContentsMargins(0, 0, 0, 0)
        iv.addWidget(self.custom)
        iv.addWidget(self.hp)
        iv.addWidget(self.columns)
        iv.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.scroll.setWidget(inner)
        self.scroll.setMinimumHeight(60)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self._build_problem_label())

    # -- reactions ---------------------------------------------------------------------
    def _task_changed(self, name: str) -> None:
        spec = PRESETS.get(name)
        if spec is not None:
            self.set_task_fields(spec)
            # 1-digit tasks have ~100 inputs: a 5% holdout leaves a handful to validate on,
            # so validate and test on all of them, as the seed did
            self.holdout.setValue(0.0 if spec.max_digits == 1 else DEFAULT_HPARAMS["holdout"])
        self._show_fields()
        self.changed.emit()

    def _job_changed(self, *_):
        calc = self.is_calculator_job
        for w in (self.recipe, self.name, self.task, self.architecture, self.hp, self.columns):
            w.setEnabled(calc)
        self._show_fields()
        self.changed.emit()

    def _recipe_changed(self, index: int) -> None:
        recipe = self.recipes[index - 1] if 0 < index <= len(self.recipes) else None
        columns = recipe is not None and recipe.config.architecture == "columns"
        self.columns_recipe = recipe if columns else None
        if columns:
            self.columns.set_hparams(recipe.config.hparams)
            self.columns_kind.setText(f"columns (fixed) \u00b7 task {recipe.config.task.name}")
            self.name.setText(recipe.config.name)
        elif recipe is not None:
            self.apply_config(recipe.config)
        self._show_fields()
        self.changed.emit()

    def _show_fields(self) -> None:
        """Only the fields that apply: a columns run has no task, architecture or epochs
        to choose, and its own settings instead of the seq2seq ones."""
        calc, columns = self.is_calculator_job, self.is_columns
        for w in (self.task, self.architecture):
            self.top.setRowVisible(w, not columns)
        self.top.setRowVisible(self.epochs, not columns)
        self.top.setRowVisible(self.columns_kind, columns)
        self.hp.setVisible(not columns)
        self.columns.setVisible(columns)
        self.custom.setVisible(calc and not columns and self.task.currentText() == CUSTOM)

    # -- reading and writing the form --------------------------------------------------
    @property
    def is_calculator_job(self) -> bool:
        return self.job.currentText() == JOB_CALCULATOR

    @property
    def is_columns(self) -> bool:
        """A columns recipe is picked for a calculator run."""
        return self.columns_recipe is not None and self.is_calculator_job

    def set_task_fields(self, spec: TaskSpec) -> None:
        self.max_digits.setValue(spec.max_digits)
        for op, box in self.operators.items():
            box.setChecked(op in spec.operators)
        self.min_operands.setValue(spec.min_operands)
        self.max_operands.setValue(spec.max_operands)
        for key, box in self.flags.items():
            box.setChecked(bool(getattr(spec, key)))

    def task_spec(self) -> TaskSpec:
        """The chosen task; raises ValueError with a readable message for a bad custom one."""
        name = self.task.currentText()
        if name != CUSTOM:
            return PRESETS[name]
        ops = "".join(op for op, box in self.operators.items() if box.isChecked())
        if not ops:
            raise ValueError("choose at least one operator")
        return TaskSpec(
            name=CUSTOM,
            max_digits=self.max_digits.value(),
            operators=ops,
            min_operands=self.min_operands.value(),
            max_operands=self.max_operands.value(),
            **{key: box.isChecked() for key, box in self.flags.items()},
        )

    def hparams(self) -> dict:
        hp = dict(self.extra_hparams)
        hp.update(
            units=self.units.value(),
            layers=self.layers.value(),
            samples_per_epoch=self.samples.value(),
            batch_size=self.batch.value(),
            learning_rate=float(self.lr.value()),
            epochs=self.epochs.value(),
            seed=self.seed.value(),
            holdout=float(self.holdout.value()),
        )
        return hp

    def model_name(self, spec: TaskSpec | None = None) -> str:
        text = self.name.text().strip()
        if text:  # ValueError (shown in place) for a name that is not a plain folder name
            return safe_model_name("".join(c if c.isalnum() or c in "-_." else "-" for c in text))
        if self.is_columns:
            return self.columns_recipe.config.name
        spec = spec or self.task_spec()
        return f"{spec.name}-{self.architecture.currentText()}"

    def config(self):
        """A TrainConfig for the form; ValueError for an impossible one (also shown in
        the form, beside the fields)."""
        try:
            if self.is_columns:
                base = self.columns_recipe.config
                config = make_config(self.model_name(), base.task, "columns",
                                     {**base.hparams, **self.columns.hparams()})
            else:
                spec = self.task_spec()
                config = make_config(self.model_name(spec), spec,
                                     self.architecture.currentText(), self.hparams())
            check_training(config, self.distribute_name())
        except ValueError as exc:
            self.problem.setText(str(exc))
            self.problem.setVisible(True)
            raise
        return config

    # -- devices and the settings check (issue 22) ---------------------------------------
    def _build_devices(self) -> QComboBox:
        """The Devices choice: how many copies of the model share each batch."""
        self.devices = QComboBox()
        jax = os.environ.get("KERAS_BACKEND", "tensorflow") == "jax"  # (no Keras import here)
        for label, name in DEVICE_CHOICES:
            if name == "none" or (name == "jax-data-parallel") == jax:
                self.devices.addItem(label, name)
        self.devices.setToolTip("data-parallel training: each batch is split across the "
                                "devices and their gradients averaged; several hosts: "
                                "calcapp train --distribute multiworker (see training/README.md)")
        return self.devices

    def distribute_name(self) -> str:
        """The ``calcapp train --distribute`` name of the Devices choice."""
        return str(self.devices.currentData() or "none")

    def _build_problem_label(self) -> QLabel:
        """Where a bad setting is named, before anything starts; rechecked on every edit."""
        self.problem = QLabel("")
        self.problem.setObjectName("settingsProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c62828;")
        self.problem.setVisible(False)
        for box in (self.units, self.layers, self.samples, self.batch, self.lr, self.epochs,
                    self.holdout):
            box.valueChanged.connect(self.check)
        self.devices.currentIndexChanged.connect(self.check)
        self.columns.changed.connect(self.check)
        self.changed.connect(self.check)
        return self.problem

    def check(self, *_) -> str:
        """The settings' problem ("" when none), shown in the form."""
        try:
            if self.is_calculator_job:
                self.config()
        except ValueError as exc:
            return str(exc)
        self.problem.setText("")
        self.problem.setVisible(False)
        return ""

    def apply_config(self, config) -> None:
        """Fill the form from a TrainConfig (e.g. a recipe's)."""
        spec = config.task
        if isinstance(spec, dict):
            spec = TaskSpec.from_dict(spec)
        if spec.name in PRESETS and PRESETS[spec.name] == spec:
            self.task.setCurrentText(spec.name)
        else:
            self.task.setCurrentText(CUSTOM)
            self.set_task_fields(spec)
        if config.architecture in ARCHITECTURES:
            self.architecture.setCurrentText(config.architecture)
        hp = dict(config.hparams or {})
        for key, box in (("units", self.units), ("layers", self.layers),
                         ("samples_per_epoch", self.samples), ("batch_size", self.batch),
                         ("epochs", self.epochs), ("seed", self.seed)):
            if key in hp:
                box.setValue(int(hp.pop(key)))
        if "learning_rate" in hp:
            self.lr.setValue(float(hp.pop("learning_rate")))
        default = 0.0 if spec.max_digits == 1 else DEFAULT_HPARAMS["holdout"]
        self.holdout.setValue(float(hp.pop("holdout", default)))
        self.extra_hparams = hp
        self.name.setText(config.name)
