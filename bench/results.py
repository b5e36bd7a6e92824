"""Results of a run: JSON, a Markdown table and a PNG chart (each benchmark vs floor and target)."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

MET, MISSED, NOT_MEASURED, INFO = "met", "missed", "not measured", "info"


@dataclass
class Result:
    key: str
    title: str
    target: str
    status: str
    measured: str = ""
    floor: str = ""
    notes: str = ""
    figures: dict = field(default_factory=dict)
    # chart: {"unit": "ms", "measured": float, "floor": float | None, "target": float | None}
    chart: dict | None = None

    @classmethod
    def not_measured(cls, key: str, title: str, target: str, reason: str) -> Result:
        return cls(key=key, title=title, target=target, status=NOT_MEASURED, notes=reason)


def verdict(ok: bool) -> str:
    return MET if ok else MISSED


@dataclass
class Run:
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    machine: dict = field(
        default_factory=lambda: {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": __import__("os").cpu_count(),
            "load_average_at_start": [round(x, 2) for x in __import__("os").getloadavg()],
        }
    )
    settings: dict = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)

    def add(self, result: Result) -> Result:
        self.results = [r for r in self.results if r.key != result.key] + [result]
        return result

    def as_dict(self) -> dict:
        return {
            "started_at": self.started_at,
            "machine": self.machine,
            "settings": self.settings,
            "results": [asdict(r) for r in self.results],
        }


def _cell(text: str) -> str:
    return (text or "").replace("|", "\\|").replace("\n", "<br>")


def markdown(run: Run) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Run started {run.started_at} on {run.machine.get('platform')} "
        f"({run.machine.get('cpus')} CPUs, Python {run.machine.get('python')}).",
    ]
    load = run.machine.get("load_average_at_start")
    if load:
        lines.append(
            f"Load average (1, 5, 15 min) at the start: {load}; at the end: "
            f"{run.machine.get('load_average_at_end', '?')} (other work on the machine adds noise)."
        )
    speed = run.machine.get("python_speed_ms")
    if speed:
        lines.append(
            "Machine speed: a fixed Python workload (`harness.python_speed_ms`) took "
            + " ms at the start and ".join(f"{v:,.1f}" for v in speed)
            + (" ms at the end" if len(speed) > 1 else " ms at the start")
            + " (lower is faster; compare it before comparing runs)."
        )
    if run.settings:
        lines.append("Settings: " + ", ".join(f"{k}={v}" for k, v in run.settings.items()) + ".")
    vacuumed = sorted({t for batch in run.machine.get("vacuumed", []) for t in batch})
    if vacuumed:
        lines.append(
            "Between benchmarks, tables were vacuumed as autovacuum would have (it is off on this "
            "machine's PostgreSQL): " + ", ".join(vacuumed) + "."
        )
    lines += [
        "Medians unless noted; ratios are taken within this run. Chart: `latest.png`; "
        "raw figures: `latest.json`.",
        "",
        "| benchmark | measured | floor / baseline | target | verdict | notes |",
        "|---|---|---|---|---|---|",
    ]
    for r in run.results:
        mark = {MET: "met", MISSED: "**missed**", NOT_MEASURED: "not measured", INFO: "-"}[r.status]
        lines.append(
            f"| {_cell(r.title)} | {_cell(r.measured)} | {_cell(r.floor)} | {_cell(r.target)} "
            f"| {mark} | {_cell(r.notes)} |"
        )
    return "\n".join(lines) + "\n"


def chart(run: Run, path: Path) -> bool:
    """One small panel per benchmark: measured next to its floor, the target as a dashed line.
    Returns False when matplotlib is not installed (the PNG is then not written)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    panels = [r for r in run.results if r.chart]
    if not panels:
        return False
    cols = 3
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    colours = {MET: "#2e7d32", MISSED: "#c62828", INFO: "#1565c0"}
    for ax, r in zip(axes.flat, panels, strict=False):
        c = r.chart
        labels, values, bar_colours = ["measured"], [c["measured"]], [colours.get(r.status, "grey")]
        if c.get("floor") is not None:
            labels.append(c.get("floor_label", "floor"))
            values.append(c["floor"])
            bar_colours.append("#9e9e9e")
        bars = ax.bar(labels, values, color=bar_colours)
        ax.bar_label(bars, fmt="%.4g", fontsize=8)
        if c.get("target") is not None:
            ax.axhline(c["target"], linestyle="--", color="black", linewidth=1)
            ax.text(
                len(labels) - 0.5,
                c["target"],
                f"target {c['target']:.4g}",
                ha="right",
                va="bottom",
                fontsize=8,
            )
        ax.set_title(r.title, fontsize=9)
        ax.set_ylabel(c.get("unit", ""), fontsize=8)
        ax.tick_params(labelsize=8)
        top = max([*values, c.get("target") or 0]) * 1.2 or 1
        ax.set_ylim(0, top)
    fig.suptitle(f"Skillgate benchmarks, {run.started_at}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def write(run: Run, directory: Path, stem: str = "latest") -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": directory / f"{stem}.json",
        "md": directory / f"{stem}.md",
        "png": directory / f"{stem}.png",
    }
    paths["json"].write_text(json.dumps(run.as_dict(), indent=2, default=str) + "\n")
    paths["md"].write_text(markdown(run))
    if not chart(run, paths["png"]):
        paths.pop("png")
    return paths
