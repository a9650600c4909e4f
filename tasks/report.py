"""A single self-contained HTML report of a run: plots (embedded PNG) and the evidence behind them."""
from __future__ import annotations

import base64
import io
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import pandas as pd
from markupsafe import Markup, escape

from stancewatch.tasks.catalog import file_metadata, partition_path, partitions, read_file_as, read_table, table_path, write_text

TOP_HOLDERS = 12
EVIDENCE_PER_HOLDER = 3


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_over_time(daily: pd.DataFrame) -> str:
    """Net score per publication week and target, with the evidence count written on each point."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.6))
    weekly = daily.assign(week=daily["date"].dt.tz_convert(None).dt.to_period("W").dt.start_time)
    weekly = weekly.groupby(["week", "target"], observed=True)[["n_favor", "n_against"]].sum().reset_index()
    weekly["net"] = (weekly["n_favor"] - weekly["n_against"]) / (weekly["n_favor"] + weekly["n_against"])
    for target, rows in weekly.dropna(subset=["net"]).groupby("target", observed=True):
        ax.plot(rows["week"], rows["net"], marker="o", label=str(target))
        for week, net, n in zip(rows["week"], rows["net"], rows["n_favor"] + rows["n_against"]):
            ax.annotate(str(int(n)), (week, net), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_ylim(-1.1, 1.1)
    ax.set_ylabel("net score (favor − against)")
    ax.set_title("Stance over time (weekly; numbers = evidence sentences)")
    ax.legend(fontsize=8, loc="best")
    return _png(fig)


def plot_heatmap(frame: pd.DataFrame, row: str, title: str) -> str:
    """Net score of each `row` (outlet or holder) toward each target, as a red–blue heat map."""
    plt = _pyplot()
    pivot = frame.pivot_table(index=row, columns="target", values="net_score", aggfunc="mean", observed=True)
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * max(len(pivot.columns), 1), 0.9 + 0.35 * max(len(pivot), 1)))
    image = ax.imshow(pivot.to_numpy(dtype=float), cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(len(pivot.columns)), [str(c) for c in pivot.columns], rotation=20, ha="right", fontsize=8)
    ax.set_yticks(range(len(pivot.index)), [str(i) for i in pivot.index], fontsize=8)
    for (i, j), value in pd.DataFrame(pivot.to_numpy(dtype=float)).stack().dropna().items():
        ax.text(j, i, f"{value:+.2f}", ha="center", va="center", fontsize=7,
                color="white" if abs(value) > 0.6 else "black")
    fig.colorbar(image, ax=ax, label="net score")
    ax.set_title(title)
    return _png(fig)


def plot_holder_bars(holders: pd.DataFrame, target: str) -> str:
    """Evidence sentences FAVOR (blue) and AGAINST (red) of the most vocal holders toward one target."""
    plt = _pyplot()
    rows = holders.sort_values("n_evidence", ascending=True).tail(TOP_HOLDERS)
    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.32 * len(rows)))
    ax.barh(rows["holder"].astype(str), rows["n_favor"], color="#2166ac", label="FAVOR")
    ax.barh(rows["holder"].astype(str), -rows["n_against"], color="#b2182b", label="AGAINST")
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("evidence sentences (against ← → favor)")
    ax.set_title(f"Who takes which side on {target}")
    ax.legend(fontsize=8)
    return _png(fig)


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0, classes="data", na_rep="–", float_format="{:.2f}".format)


def evidence(out_dir: Path, holders: pd.DataFrame) -> pd.DataFrame:
    """The most confident FAVOR/AGAINST sentences of each top (holder, target), with title, outlet, date.

    Read one batch at a time, keeping only each batch's best candidates, so memory stays bounded.
    """
    model = file_metadata(table_path(out_dir, "holder_stance")).get("model")
    top = holders.sort_values("n_evidence", ascending=False).groupby("target", observed=True).head(5)
    candidates = []
    for batch, path in partitions(out_dir, "stances", model=model).items():
        stances = read_file_as(path, "stances", filters=[("label", "!=", "NONE")])
        sentences = read_file_as(partition_path(out_dir, "sentences", batch=batch), "sentences",
                                 columns=["doc_id", "sentence_index", "text", "holder"])
        facts = stances.merge(sentences).merge(top[["holder", "target"]])
        facts["confidence"] = label_confidence(facts)
        candidates.append(_most_confident(facts))
    documents = read_table(out_dir, "documents", columns=["doc_id", "title", "outlet", "published"])
    keep = _most_confident(pd.concat(candidates, ignore_index=True)).merge(documents) if candidates else \
        pd.DataFrame(columns=["target", "holder", "label", "confidence", "text", "title", "outlet", "published"])
    keep = keep.assign(date=pd.to_datetime(keep["published"]).dt.strftime("%Y-%m-%d"))
    return keep[["target", "holder", "label", "confidence", "text", "title", "outlet", "date"]].sort_values(
        ["target", "holder", "confidence"], ascending=[True, True, False])


def label_confidence(stances: pd.DataFrame) -> pd.Series:
    """The model's probability of the label each FAVOR/AGAINST row shows: a FAVOR that classify.own_side
    turned from AGAINST ranks by its FAVOR probability, not by the AGAINST one that was overruled."""
    return stances["p_favor"].where(stances["label"] == "FAVOR", stances["p_against"])


def _most_confident(facts: pd.DataFrame) -> pd.DataFrame:
    return facts.sort_values("confidence", ascending=False).groupby(["holder", "target"]).head(EVIDENCE_PER_HOLDER)


def summary(out_dir: Path) -> dict:
    documents = read_table(out_dir, "documents", columns=["doc_id", "outlet", "published"])
    rejects = read_table(out_dir, "rejects") if table_path(out_dir, "rejects").exists() else pd.DataFrame()
    model = file_metadata(table_path(out_dir, "holder_stance")).get("model", "?")  # as the stances `model` column
    return {
        "documents": len(documents),
        "sentences": len(read_table(out_dir, "sentences", columns=["doc_id"])),
        "outlets": int(documents["outlet"].nunique()),
        "dated documents": int(documents["published"].notna().sum()),
        "rejects": ", ".join(f"{r}: {n}" for r, n in rejects["reason"].value_counts().items()) if len(rejects) else "none",
        "model": model,
        "run finished": datetime.fromtimestamp(table_path(out_dir, "holder_stance").stat().st_mtime,
                                               timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def render_report(out_dir: str | Path, path: str | Path | None = None) -> Path:
    """Write the report (default: <out_dir>/report.html) from the aggregate tables; returns its path."""
    out_dir = Path(out_dir)
    path = Path(path) if path else out_dir / "report.html"
    daily = read_table(out_dir, "daily_stance")
    outlets = read_table(out_dir, "outlet_stance")
    people = _speakers_with_evidence(read_table(out_dir, "holder_stance"))
    facts = summary(out_dir)
    sections = [
        "<h2 id='summary'>Corpus</h2>" + _table(pd.DataFrame({"measure": list(facts), "value": list(facts.values())})),
        "<h2 id='time'>Stance over time</h2>" + (plot_over_time(daily) if len(daily) else "<p>No dated articles.</p>"),
        "<h2 id='outlets'>Stance by outlet</h2>" + (plot_heatmap(outlets[outlets["n_evidence"] > 0], "outlet",
                                                                  "Outlets: net score per target")
                                                     if (outlets["n_evidence"] > 0).any() else "<p>No evidence.</p>"),
        "<h2 id='holders'>Stance by holder (speaker)</h2>" + (
            plot_heatmap(people.sort_values("n_evidence").groupby("target", observed=True).tail(TOP_HOLDERS),
                         "holder", "Holders: net score per target") if len(people) else "<p>No evidence.</p>"),
    ]
    sections += [plot_holder_bars(rows, str(target)) for target, rows in people.groupby("target", observed=True)]
    sections.append("<h2 id='evidence'>Top evidence sentences</h2>" + _table(evidence(out_dir, people)))
    sections.append("<h2 id='holder-table'>Holder table</h2>" + _table(
        people[["holder", "holder_role", "target", "label", "net_score", "n_favor", "n_against", "n_none",
                "n_articles", "n_outlets"]].sort_values(["target", "n_against"], ascending=[True, False])))
    page = _template().render(made_from=str(_aggregates_input(out_dir)), documents=facts["documents"],
                              sections=[Markup(section) for section in sections])  # built escaped by pandas
    return write_text(path, page + "\n")


@lru_cache(maxsize=1)
def _template():
    """tasks/templates/report.html, autoescaped: every value from the data is escaped unless marked safe."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("stancewatch.tasks", "templates"), autoescape=select_autoescape(["html"])
                       ).get_template("report.html")


def _speakers_with_evidence(holders: pd.DataFrame) -> pd.DataFrame:
    """Holders other than the outlets' own voice that took a side at least once."""
    return holders[(holders["holder_kind"] != "outlet") & (holders["n_evidence"] > 0)]


def _aggregates_input(out_dir: Path) -> str | None:
    """The fingerprint of the aggregate tables (what they were made from)."""
    return file_metadata(table_path(out_dir, "holder_stance")).get("input")


def report_is_current(out_dir: str | Path) -> bool:
    """True when <out_dir>/report.html was rendered from the aggregate tables now on disk.

    A render that failed (full disk) or never ran leaves an older report: it is not current.
    """
    path = Path(out_dir) / "report.html"
    made_from = _aggregates_input(Path(out_dir))
    if made_from is None or not path.exists():
        return False
    with path.open(encoding="utf-8", errors="replace") as handle:
        head = handle.read(2000)
    return f'<meta name="stancewatch-input" content="{escape(made_from)}">' in head


def key_findings(out_dir: str | Path) -> str:
    """Markdown: the holders with most evidence per target, for the Prefect UI."""
    people = _speakers_with_evidence(read_table(out_dir, "holder_stance"))
    lines = ["# stancewatch: who takes which stance", ""]
    for target, rows in people.sort_values("n_evidence", ascending=False).groupby("target", observed=True):
        lines += [f"## {target}", "", "| holder | stance | net score | evidence | outlets |", "|---|---|---|---|---|"]
        lines += [f"| {r.holder} | {r.label} | {r.net_score:+.2f} | {r.n_evidence} | {r.n_outlets} |"
                  for r in rows.head(8).itertuples()]
        lines.append("")
    return "\n".join(lines)
