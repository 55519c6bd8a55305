"""matplotlib canvases (QtAgg) for live training curves and histograms.

Redraws are throttled: points are added with ``set_data`` at once, the canvas is redrawn by a
timer at most a few times a second (DESIGN §6).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("QtAgg")

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from desktop_app.qt import QSizePolicy, QTimer, QWidget  # noqa: E402
from engine.preview import Histogram  # noqa: E402

LIGHT = {"face": "#ffffff", "text": "#222222", "grid": "#dddddd"}
DARK = {"face": "#2b2b2b", "text": "#e6e6e6", "grid": "#444444"}
REDRAW_MS = 250


class Canvas(FigureCanvasQTAgg):
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
    """Discriminator and generator loss per epoch, and ε spent per step against the target."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, height=3.2)
        self.loss_ax, self.eps_ax = self.figure.subplots(1, 2)
        (self.d_line,) = self.loss_ax.plot([], [], marker="o", markersize=3, label="Discriminator")
        (self.g_line,) = self.loss_ax.plot([], [], marker="o", markersize=3, label="Generator")
        (self.eps_line,) = self.eps_ax.plot([], [], marker="o", markersize=3, color="#2a9d8f", label="ε spent")
        self.target_line = self.eps_ax.axhline(0, color="#e76f51", linestyle="--", label="target ε")
        self.loss_ax.set_title("Loss", fontsize=9)
        self.loss_ax.set_xlabel("epoch", fontsize=8)
        self.eps_ax.set_title("Privacy budget spent", fontsize=9)
        self.eps_ax.set_xlabel("step", fontsize=8)
        self.loss_ax.legend(fontsize=7, loc="upper right")
        self.eps_ax.legend(fontsize=7, loc="lower right")
        self.style_axes()
        self.clear()

    def clear(self, target: float | None = None) -> None:
        self.epochs: list[float] = []
        self.d: list[float] = []
        self.g: list[float] = []
        self.steps: list[float] = [0.0]
        self.eps: list[float] = [0.0]
        self.seconds_per_step = 0.0
        for line in (self.d_line, self.g_line):
            line.set_data([], [])
        self.eps_line.set_data(self.steps, self.eps)
        self.target_line.set_ydata([target or 0, target or 0])
        self.target_line.set_visible(target is not None)
        self._rescale()
        self.draw_idle()

    def add(self, report: object) -> None:
        """One :class:`engine.training.EpochReport`."""
        self.epochs.append(report.epoch)
        self.d.append(report.d_loss)
        self.g.append(report.g_loss)
        self.steps.append(report.step)
        self.eps.append(report.epsilon_spent)
        self.seconds_per_step = report.seconds / max(report.step, 1)
        self.d_line.set_data(self.epochs, self.d)
        self.g_line.set_data(self.epochs, self.g)
        self.eps_line.set_data(self.steps, self.eps)
        self.target_line.set_ydata([report.epsilon_target, report.epsilon_target])
        self.target_line.set_visible(True)
        self._rescale()
        self.request_redraw()

    def _rescale(self) -> None:
        self.loss_ax.relim()
        self.loss_ax.autoscale_view()
        self.eps_ax.relim()
        self.eps_ax.autoscale_view(scaley=False)
        target = float(self.target_line.get_ydata()[0]) if self.target_line.get_visible() else 0.0
        top = max([target, *self.eps]) or 1.0
        self.eps_ax.set_ylim(0, top * 1.12)


class HistogramPlot(Canvas):
    """Bars of one column of the loaded table (Columns page)."""

    def __init__(self, parent: QWidget | None = None, height: float = 2.4) -> None:
        super().__init__(parent, height=height)
        self.ax = self.figure.subplots()
        self.style_axes()

    def show_histogram(self, hist: Histogram | None, title: str = "") -> None:
        ax = self.ax
        ax.clear()
        if hist is not None and hist.labels:
            positions = list(range(len(hist.labels)))
            ax.bar(positions, hist.counts, color="#4c78a8", width=0.85)
            ax.set_ylabel("rows", fontsize=8)
            step = max(1, len(positions) // 8)
            ax.set_xticks(positions[::step])
            ax.set_xticklabels(hist.labels[::step], rotation=30, ha="right", fontsize=7)
        ax.set_title(title, fontsize=9)
        self.style_axes()
        self.draws += 1
        self.draw_idle()
