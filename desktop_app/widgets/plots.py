"""matplotlib canvases (QtAgg) for live training curves and column histograms.

Redraws are throttled: points are added with ``set_data`` at once, the canvas is redrawn by a
timer at most a few times a second (DESIGN §6).
"""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("QtAgg")

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import AutoLocator, MaxNLocator  # noqa: E402

from desktop_app.qt import QSizePolicy, QTimer, QWidget  # noqa: E402
from engine.app.presenters import Histogram  # noqa: E402
from engine.app.types import Progress  # noqa: E402

LIGHT = {"face": "#ffffff", "text": "#222222", "grid": "#dddddd"}
DARK = {"face": "#2b2b2b", "text": "#e6e6e6", "grid": "#444444"}
REDRAW_MS = 250


class Canvas(FigureCanvasQTAgg):
    """A figure that follows the theme and redraws on a timer when asked (:meth:`request_redraw`)."""

    def __init__(self, parent: QWidget | None = None, height: float = 3.0) -> None:
        self.figure = Figure(figsize=(5, height), layout="constrained")
        super().__init__(self.figure)
        self.setParent(parent)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumHeight(160)
        self.colors = LIGHT
        self.draws = 0
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._flush)
        self._timer.start()

    def request_redraw(self) -> None:
        self._dirty = True

    def _flush(self) -> None:
        if self._dirty:
            self._dirty = False
            self.draws += 1
            self.draw_idle()

    def set_dark(self, dark: bool) -> None:
        self.colors = DARK if dark else LIGHT
        self.style_axes()
        self.draw_idle()

    def style_axes(self) -> None:
        c = self.colors
        self.figure.set_facecolor(c["face"])
        for ax in self.figure.axes:
            ax.set_facecolor(c["face"])
            ax.tick_params(colors=c["text"], labelsize=8)
            ax.xaxis.label.set_color(c["text"])
            ax.yaxis.label.set_color(c["text"])
            ax.title.set_color(c["text"])
            ax.grid(True, color=c["grid"], linewidth=0.6)
            for spine in ax.spines.values():
                spine.set_color(c["grid"])
            legend = ax.get_legend()
            if legend is not None:
                legend.get_frame().set_facecolor(c["face"])
                for text in legend.get_texts():
                    text.set_color(c["text"])


class TrainingPlot(Canvas):
    """Each named loss series of the run per epoch (whatever the synthesizer reports), and ε spent
    per step against the target, starting at what the preprocessing spent. Empty axes say what
    they will show."""

    LOSS_EMPTY = "Each loss the model reports, per epoch\n(or stage, on a small table), once training starts"
    EPSILON_EMPTY = "ε spent as training goes, from the\npreprocessing's spend up to the target"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, height=3.2)
        self.loss_ax, self.eps_ax = self.figure.subplots(1, 2)
        self.loss_lines: dict[str, Line2D] = {}
        (self.eps_line,) = self.eps_ax.plot([], [], marker="o", markersize=3, color="#2a9d8f", label="ε spent")
        self.target_line = self.eps_ax.axhline(0, color="#e76f51", linestyle="--", label="target ε")
        self.loss_ax.set_title("Loss", fontsize=9)
        self.loss_ax.set_xlabel("epoch", fontsize=8)
        self.eps_ax.set_title("Privacy budget spent", fontsize=9)
        self.eps_ax.set_xlabel("step", fontsize=8)
        self.placeholders = {ax: ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center",
                                         fontsize=8, color="#888888")
                             for ax, text in ((self.loss_ax, self.LOSS_EMPTY), (self.eps_ax, self.EPSILON_EMPTY))}
        self.style_axes()
        self.clear()

    def clear(self, target: float | None = None) -> None:
        for line in self.loss_lines.values():
            line.remove()
        self.loss_lines = {}
        legend = self.loss_ax.get_legend()
        if legend is not None:
            legend.remove()
        self.losses: dict[str, tuple[list[float], list[float]]] = {}    # name: (epochs, values)
        self.steps: list[float] = []
        self.eps: list[float] = []
        self.eps_line.set_data(self.steps, self.eps)
        self.target_line.set_ydata([target or 0, target or 0])
        self.target_line.set_visible(target is not None)
        self._rescale()
        self.draw_idle()

    def start_at(self, preprocessing_epsilon: float, target: float) -> None:
        """The run's curve starts at step 0 with what its preprocessing spent."""
        self.steps[:], self.eps[:] = [0.0], [preprocessing_epsilon]
        self.eps_line.set_data(self.steps, self.eps)
        self.target_line.set_ydata([target, target])
        self.target_line.set_visible(True)
        self._rescale()
        self.request_redraw()

    def add(self, event: Progress) -> None:
        """One epoch's :class:`~engine.app.types.Progress`: a point on every loss series it names."""
        for name, value in event.losses.items():
            if name not in self.loss_lines:
                self._add_series(name)
            epochs, values = self.losses[name]
            epochs.append(event.epoch)
            values.append(value)
            self.loss_lines[name].set_data(epochs, values)
        counted = "stage" if event.unit == "stage" else "epoch"
        self.loss_ax.set_xlabel(counted, fontsize=8)
        self.eps_ax.set_xlabel(counted if event.unit == "stage" else "step", fontsize=8)
        self.steps.append(event.step)
        self.eps.append(event.epsilon_spent)
        self.eps_line.set_data(self.steps, self.eps)
        self.target_line.set_ydata([event.epsilon_target, event.epsilon_target])
        self.target_line.set_visible(True)
        self._rescale()
        self.request_redraw()

    def charged(self, epsilon: float) -> None:
        """The finished run's charge as the curve's last point (a run is charged its plan's bound,
        which may lie above what its own releases compose to)."""
        if self.steps and epsilon > self.eps[-1] + 5e-4:
            self.steps.append(self.steps[-1])
            self.eps.append(epsilon)
            self.eps_line.set_data(self.steps, self.eps)
            self._rescale()
            self.request_redraw()

    def _add_series(self, name: str) -> None:
        (self.loss_lines[name],) = self.loss_ax.plot([], [], marker="o", markersize=3,
                                                     label=name.replace("_", " ").capitalize())
        self.losses[name] = ([], [])
        self.loss_ax.legend(fontsize=7, loc="upper right")
        self.style_axes()

    def _rescale(self) -> None:
        self._axis(self.loss_ax.xaxis, bool(self.losses))
        self._axis(self.loss_ax.yaxis, bool(self.losses))
        self.placeholders[self.loss_ax].set_visible(not self.losses)
        if self.losses:
            self.loss_ax.relim()
            self.loss_ax.autoscale_view()
        started = len(self.eps) > 1          # the preprocessing's point alone has no step axis yet
        self.placeholders[self.eps_ax].set_visible(not started)
        self._axis(self.eps_ax.xaxis, started)
        if started:
            self.eps_ax.relim()
            self.eps_ax.autoscale_view(scaley=False)
        target = float(self.target_line.get_ydata()[0]) if self.target_line.get_visible() else 0.0
        self._axis(self.eps_ax.yaxis, bool(target or self.eps))
        if target or self.eps:
            self.eps_ax.set_ylim(0, (max([target, *self.eps]) or 1.0) * 1.12)
        if self.target_line.get_visible() and self.eps_ax.get_legend() is None:
            self.eps_ax.legend(fontsize=7, loc="lower right")
            self.style_axes()
        elif not self.target_line.get_visible() and self.eps_ax.get_legend() is not None:
            self.eps_ax.get_legend().remove()

    @staticmethod
    def _axis(axis: Any, shown: bool) -> None:
        """An axis without data has no ticks (they would be meaningless) and spans 0 to 1."""
        if shown:    # epochs are whole numbers; the rest any
            axis.set_major_locator(MaxNLocator(integer=True) if axis.get_label_text() == "epoch" else AutoLocator())
            axis.axes.autoscale(enable=True, axis="x" if axis is axis.axes.xaxis else "y")
        else:
            axis.set_ticks([])
            limits = axis.axes.set_xlim if axis is axis.axes.xaxis else axis.axes.set_ylim
            limits(0, 1)


class HistogramPlot(Canvas):
    """Bars of one column of the loaded table (Columns page)."""

    def __init__(self, parent: QWidget | None = None, height: float = 2.4) -> None:
        super().__init__(parent, height=height)
        self.ax = self.figure.subplots()
        self.style_axes()

    def show_histogram(self, hist: Histogram | None, title: str = "", note: str = "") -> None:
        """Bars of ``hist``; a number's bars sit between their round edges, labelled at the edges."""
        ax = self.ax
        ax.clear()
        if hist is None or not hist.labels:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.text(0.5, 0.5, "Nothing to show for this column", transform=ax.transAxes, ha="center", va="center",
                    fontsize=8, color="#888888")
        else:
            positions = list(range(len(hist.labels)))
            ticks = [p - 0.5 for p in positions] if hist.numeric else positions
            ax.bar(positions, hist.counts, color="#4c78a8", width=0.95 if hist.numeric else 0.85)
            ax.set_ylabel("rows", fontsize=8)
            step = max(1, len(positions) // 8)
            ax.set_xticks(ticks[::step])
            ax.set_xticklabels(hist.labels[::step], rotation=30, ha="right", fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(note, fontsize=7)
        self.style_axes()
        self.draws += 1
        self.draw_idle()
