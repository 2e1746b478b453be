"""Light and dark, following the system unless the person picks one in View > Theme.

Qt 6.5+ reports the desktop's colour scheme; where it says nothing, the platform's own
palette (dark window, light text) counts as dark. We apply the Fusion style with a
matching palette so the window looks the same on every desktop, and switch when the
system does. ``CALCAPP_THEME=light|dark`` overrides it (screenshots, tests). Colours used
for meaning (right, wrong, confidence) come from here so both schemes keep them readable.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

GOOD = {"light": "#1b7f3b", "dark": "#5fd38a"}
BAD = {"light": "#c62828", "dark": "#ff7b72"}
MUTED = {"light": "#666666", "dark": "#a0a0a0"}


CHOICES = ("system", "light", "dark")
_state = {"choice": "system", "system_dark": None}


def scheme() -> str:
    forced = os.environ.get("CALCAPP_THEME", "").lower()
    if forced in ("light", "dark"):
        return forced
    if _state["choice"] in ("light", "dark"):
        return _state["choice"]
    app = QGuiApplication.instance()
    if app is not None:
        try:
            hint = app.styleHints().colorScheme()
            if hint != Qt.ColorScheme.Unknown:
                return "dark" if hint == Qt.ColorScheme.Dark else "light"
        except AttributeError:  # Qt < 6.5
            pass
    return "dark" if _state["system_dark"] else "light"


def choice() -> str:
    return _state["choice"]


def set_choice(app, which: str) -> None:
    """``system``, ``light`` or ``dark``: the View menu's switch."""
    if which not in CHOICES:
        raise ValueError(f"theme must be one of {', '.join(CHOICES)}")
    _state["choice"] = which
    _apply_palette(app)


def colour(table: dict[str, str]) -> str:
    return table[scheme()]


def confidence_colour(conf: float) -> str:
    """Green when sure, through amber, to red when guessing."""
    dark = scheme() == "dark"
    if conf >= 0.9:
        return "#5fd38a" if dark else "#1b7f3b"
    if conf >= 0.6:
        return "#e3b341" if dark else "#a66a00"
    return "#ff7b72" if dark else "#c62828"


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor("#1e1f22"), QColor("#2b2d30"), QColor("#e6e6e6")
    for role, c in [
        (QPalette.Window, window), (QPalette.WindowText, text), (QPalette.Base, base),
        (QPalette.AlternateBase, QColor("#26282b")), (QPalette.Text, text),
        (QPalette.Button, QColor("#3a3d41")), (QPalette.ButtonText, text),
        (QPalette.ToolTipBase, window), (QPalette.ToolTipText, text),
        (QPalette.Highlight, QColor("#3d6fb4")), (QPalette.HighlightedText, QColor("white")),
        (QPalette.PlaceholderText, QColor("#8a8a8a")), (QPalette.Link, QColor("#6ea8fe")),
    ]:
        p.setColor(role, c)
    p.setColor(QPalette.Disabled, QPalette.Text, QColor("#777777"))
    p.setColor(QPalette.Disabled, QPalette.ButtonText, QColor("#777777"))
    return p


def apply(app) -> None:
    """Style the app now and whenever the system scheme changes."""
    if _state["system_dark"] is None:  # the platform's palette, before Fusion replaces it
        window = app.palette().color(QPalette.Window)
        _state["system_dark"] = window.lightness() < 128
    app.setStyle("Fusion")
    _apply_palette(app)
    try:
        app.styleHints().colorSchemeChanged.connect(lambda *_: _apply_palette(app))
    except AttributeError:
        pass


def _apply_palette(app) -> None:
    if scheme() == "dark":
        app.setPalette(_dark_palette())
    else:
        app.setPalette(app.style().standardPalette())


def add_choices(menu, on_choose) -> dict:
    """System / Light / Dark as checkable actions in ``menu``; ``on_choose(name)`` runs
    when one is picked. Returns the actions by name."""
    from PySide6.QtGui import QAction, QActionGroup

    group = QActionGroup(menu)
    actions = {}
    for name, text in (("system", "Theme: follow the &system"), ("light", "&Light theme"),
                       ("dark", "&Dark theme")):
        action = QAction(text, menu, checkable=True)
        action.setChecked(name == _state["choice"])
        action.triggered.connect(lambda _=False, n=name: on_choose(n))
        group.addAction(action)
        menu.addAction(action)
        actions[name] = action
    return actions


def plot_background() -> str:
    """Charts' background: white, or the dark theme's base."""
    return "#1e1f22" if scheme() == "dark" else "w"


def plot_foreground() -> str:
    """Charts' axes, ticks, titles and legend text: readable on ``plot_background``."""
    return "#c8c8c8" if scheme() == "dark" else "#404040"


def style_plot(plot) -> None:
    """Give a pyqtgraph PlotWidget the current scheme's background, axes and title."""
    fg = plot_foreground()
    plot.setBackground(plot_background())
    item = plot.getPlotItem()
    for name in ("left", "bottom", "right", "top"):
        axis = item.getAxis(name)
        axis.setPen(fg)
        axis.setTextPen(fg)
    title = item.titleLabel
    if title.text:
        title.setText(title.text, color=fg)
    if item.legend is not None:
        item.legend.setLabelTextColor(fg)


class _PlotFollower(QObject):
    """Restyles its plot whenever the application's palette changes: the View menu's
    switch and the system's both go through ``_apply_palette``, so a chart built before
    a switch follows it too."""

    def eventFilter(self, obj, event) -> bool:
        if event.type() in (QEvent.PaletteChange, QEvent.ApplicationPaletteChange):
            style_plot(obj)
        return False


def follow(plot):
    """Style ``plot`` now and after every theme switch; returns it."""
    style_plot(plot)
    follower = _PlotFollower(plot)
    plot.installEventFilter(follower)
    return plot
