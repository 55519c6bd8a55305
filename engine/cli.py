"""``doppel`` / ``python -m engine``: every capability of the app, scriptable.

Exit codes: 0 success, 2 bad input or arguments (one line on stderr naming the file or column
and what to do), 1 internal error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Sequence, TextIO

import pandas as pd

from engine import __version__
from engine.app import declaring, operations
from engine.app import holdout as kept_aside
from engine.app.domain_sets import DomainSets
from engine.app.forecast import forecast
from engine.errors import DoppelInputError, TrainingCancelled
from engine.app.types import Schema
from engine.run import Event, LogMessage, Progress, RunConfig


MAX_KEEP_ASIDE = 0.9


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error on one line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"doppel: {message}; see 'doppel {self.prog.split()[-1]} --help'.\n"
                  if " " in self.prog else f"doppel: {message}; see 'doppel --help'.\n")


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{value} must be at least {minimum}")
    return value


def _positive_int(text: str) -> int:
    return _whole_number(text, 1)


def _seed(text: str) -> int:
    """Random generators take seeds from 0 up; a negative one is a usage error, not a crash."""
    return _whole_number(text, 0)


def _share(text: str) -> float:
    value = _positive_float(text)
    if not value < MAX_KEEP_ASIDE:
        raise argparse.ArgumentTypeError(f"{value} must be below {MAX_KEEP_ASIDE} (a share of the rows, e.g. 0.2)")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value} must be positive")
    return value


def _add_training_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="CSV, Excel or Parquet table")
    p.add_argument("--sheet", help="Excel sheet name or index (default: the first)")
    p.add_argument("--epsilon", type=_positive_float, required=True, help="privacy budget ε (e.g. 1 to 10)")
    p.add_argument("--delta", type=_positive_float, help="δ (default: min(1e-5, n^-1.1))")
    p.add_argument("--schema", help="schema JSON from 'doppel inspect --json', reviewed: its facts are declared public "
                                    "(a column with \"declared\": false is measured under DP instead)")
    p.add_argument("--dataset", metavar="NAME",
                   help="the dataset's name in the ε ledger: runs on re-exports of the same staff add up under it")
    p.add_argument("--epochs", type=_positive_int, default=RunConfig.epochs,
                   help=f"DP-SGD passes over the data (default {RunConfig.epochs}); σ is set so ε is met. Smaller "
                        "tables are fitted to private measurements and take no epochs")
    p.add_argument("--batch-size", type=_positive_int, help="expected real rows per step (default: from table size)")
    p.add_argument("--preprocessing-share", type=float, default=RunConfig.preprocessing_fraction,
                   help="share of ε, after the row count's, for each column's survey and 1-way measurement "
                        "(default: chosen by table size)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="settings",
                   help="an expert setting of the synthesizer (repeatable; VALUE in JSON, e.g. "
                        "generator_hidden=[64,64]); an unknown NAME lists the known ones")
    p.add_argument("--synthesizer", default=RunConfig.synthesizer,
                   help=f"the model to train (default {RunConfig.synthesizer}); one of the registered synthesizers")
    p.add_argument("--seed", type=_seed, help="make the run reproducible (not for real releases: the seed reveals the noise)")
    p.add_argument("--allow-over-ceiling", action="store_true",
                   help="train even if the table's ledger passes its ε ceiling")
    p.add_argument("--resume", nargs="?", const="", metavar="CHECKPOINT",
                   help="continue an interrupted run with the same settings, spending no ε twice "
                        "(default: this table's newest checkpoint)")
    p.add_argument("--keep-aside", type=_share, metavar="SHARE",
                   help="train on a random 1 - SHARE of the rows and write the rest to --holdout-out for a sound "
                        "'doppel report … --holdout' (the ledger counts the whole table)")
    p.add_argument("--holdout-out", metavar="FILE", help="where --keep-aside writes the rows it keeps out of training "
                                                          "(real rows: keep the file inside the team)")
    p.add_argument("--json", action="store_true", help="print a final one-line JSON summary")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="doppel", description="Differentially private synthetic tables, offline.")
    parser.add_argument("--version", action="version", version=f"doppel {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = commands.add_parser("inspect", help="show the inferred schema, name suggestions and a forecast")
    p.add_argument("file")
    p.add_argument("--sheet")
    p.add_argument("--json", action="store_true", help="print the schema as JSON (edit it, pass it to --schema)")
    p.add_argument("--schema", help="inspect this reviewed schema instead of the inferred one")
    p.add_argument("--accept-suggestions", action="store_true",
                   help="declare the public ranges and categories suggested by the column names")
    p.add_argument("--domain", action="append", default=[], metavar="COLUMN=SET",
                   help="declare COLUMN's public categories from the saved domain set SET (repeatable)")
    p.add_argument("--save-domain", action="append", default=[], metavar="COLUMN=SET",
                   help="save COLUMN's declared public categories as the domain set SET, for other tables")
    p.add_argument("--epsilon", type=_positive_float,
                   help="forecast, before any ε is spent, which columns a run at this ε learns well, coarsely or not")
    p.add_argument("--delta", type=_positive_float, help="δ of the forecast run (default: min(1e-5, n^-1.1))")
    p.add_argument("--preprocessing-share", type=float, default=RunConfig.preprocessing_fraction,
                   help="share of ε for DP preprocessing in the forecast run (default %(default)s)")
    p.add_argument("--keep-aside", type=_share, metavar="SHARE",
                   help="forecast on the rows a run with --keep-aside SHARE trains on")

    p = commands.add_parser("train", help="train a DP model and save it")
    _add_training_options(p)
    p.add_argument("--model", required=True, help="where to save the model (.doppel)")

    p = commands.add_parser("sample", help="generate rows from a saved model")
    p.add_argument("model", help="a .doppel model")
    p.add_argument("--rows", type=_positive_int, required=True)
    p.add_argument("--out", required=True, help="output .csv, .xlsx or .parquet")
    p.add_argument("--where", action="append", default=[], help='condition, e.g. "department=Sales" (repeatable)')
    p.add_argument("--seed", type=_seed)

    p = commands.add_parser("synthesize", help="train and sample in one go")
    _add_training_options(p)
    p.add_argument("--rows", type=_positive_int, required=True)
    p.add_argument("--out", required=True, help="output .csv, .xlsx or .parquet")
    p.add_argument("--where", action="append", default=[])
    p.add_argument("--model", help="also save the model (.doppel)")

    p = commands.add_parser("ledger", help="ε spent so far on a table")
    p.add_argument("file")
    p.add_argument("--dataset", metavar="NAME", help="the dataset's name in the ledger (as given when training)")
    p.add_argument("--set-ceiling", type=_positive_float, help="set the table's ε ceiling")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("report", help="quality and privacy report: real vs synthetic (reads real rows: not DP)")
    p.add_argument("real", help="the real table the model was trained on")
    p.add_argument("synthetic", help="the synthetic table")
    p.add_argument("--model", help="the .doppel model (adds ε, δ, σ and uses its schema)")
    p.add_argument("--target", help="column to predict for the TSTR utility test")
    p.add_argument("--schema", help="schema JSON (default: the model's, else inferred from the real table)")
    p.add_argument("--holdout", help="real rows kept out of training (default: an 80/20 split of REAL)")
    p.add_argument("--seed", type=_seed, default=0, help="seed of the split and subsamples (default 0)")
    p.add_argument("--out", required=True, help="where to write the report (.html)")
    p.add_argument("--json", action="store_true", help="also print the measures as JSON")
    return parser


def _progress_printer(stream: TextIO):
    def show(event: Event) -> None:
        if isinstance(event, Progress):
            losses = "  ".join(f"{name} {value:.3f}" for name, value in event.losses.items())
            print(f"{event.unit} {event.epoch}/{event.epochs}  {losses}  "
                  f"ε {event.epsilon_spent:.3f}/{event.epsilon_target:g}  {event.rows_per_second:,.0f} rows/s",
                  file=stream, flush=True)
        elif isinstance(event, LogMessage):
            print(event.text, file=stream, flush=True)
    return show


def _setting(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` of ``--set``: VALUE read as JSON (a bare word stays a string)."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise DoppelInputError(f"--set {text!r}: write NAME=VALUE, e.g. --set final_fit_steps=400.")
    try:
        return name.strip(), json.loads(value)
    except json.JSONDecodeError:
        return name.strip(), value.strip()


def _config(args: argparse.Namespace) -> RunConfig:
    if args.preprocessing_share is not None and not 0 < args.preprocessing_share < 1:
        raise DoppelInputError(f"--preprocessing-share must be between 0 and 1, got {args.preprocessing_share}.")
    settings = {"batch_size": args.batch_size} if args.batch_size else {}
    settings.update(_setting(text) for text in args.settings)
    return RunConfig(epsilon=args.epsilon, delta=args.delta, epochs=args.epochs,
                     preprocessing_fraction=args.preprocessing_share, device=args.device, seed=args.seed,
                     synthesizer=args.synthesizer, settings=settings)


def _summary_line(model, extra: dict | None = None) -> str:
    s = model.summary
    data = {"epsilon_spent": round(s.epsilon_spent, 6), "delta": s.delta, "epsilon_target": s.epsilon_target,
            "preprocessing_epsilon": round(s.preprocessing_epsilon, 6), "accountant": s.accountant,
            "rows_estimate": s.rows_estimate, "synthesizer": s.synthesizer, **s.facts, "seconds": round(s.seconds, 3), "device": s.device,
            "rows_per_second": round(s.rows_per_second, 1)}
    return json.dumps({**data, **(extra or {})})


def _cmd_inspect(args: argparse.Namespace, out: TextIO) -> int:
    table = operations.load_table(args.file, args.sheet)
    schema = operations.schema_for(table, args.schema)
    if args.schema:
        schema.check_matches(table.frame, Path(args.schema).name)
    offered = declaring.proposals(schema, table.frame)
    if args.accept_suggestions:
        declaring.accept(schema, offered)
    sets = DomainSets()
    for column, name in map(_column_and_set, args.domain):
        schema[column].declare(public_categories=sets.get(name))
    for column, name in map(_column_and_set, args.save_domain):
        labels = sets.save(name, schema[column].public_categories or [])
        print(f"saved domain set '{name}': {', '.join(labels)}", file=sys.stderr)
    if args.json:
        data = schema.to_json()
        for column in data["columns"]:
            column["declared"] = True
        print(json.dumps(data, indent=2), file=out)
        print("note: passing this file with --schema declares these facts public (they were read from the cells); "
              "review them, or set \"declared\": false on a column to have it measured under DP instead.",
              file=sys.stderr)
        return 0
    print(f"{table.path.name}: {len(table.frame):,} rows × {len(table.frame.columns)} columns"
          + (f", sheet {table.sheet}" if table.sheet else "")
          + (f", {table.encoding}, delimiter {table.delimiter!r}" if table.encoding else ""), file=out)
    width = max(len(c.name) for c in schema.columns)
    print(f"{'column':<{width}}  {'kind':<11}  {'role':<10}  {'missing':>7}  {'facts':<8}  note", file=out)
    for c in schema.columns:
        note = f"PII: {c.pii}" if c.pii else declaring.format_text(c)
        if c.name in offered and not args.accept_suggestions:
            note += f"{'; ' if note else ''}suggested: {offered[c.name].text} ({offered[c.name].suggestion.reason})"
        facts = "declared" if c.declared else "measured"
        print(f"{c.name:<{width}}  {c.kind.value:<11}  {c.role.value:<10}  {c.missing_rate or 0:>7.1%}  {facts:<8}  "
              f"{note}", file=out)
    for constraint in schema.constraints:
        print(f"constraint: {constraint.left} <= {constraint.right}", file=out)
    if declaring.undeclared(schema):
        print(f"note: {len(declaring.undeclared(schema))} columns are measured under DP: their kind, format and range "
              "are decided by a private survey (what is shown is a local guess, never stored). Declared facts are "
              "public: declare only what you know without looking at the data (--accept-suggestions, --domain, "
              "--schema).", file=sys.stderr)
    if sets.all():
        print("saved domain sets: " + ", ".join(f"{n} ({len(v)} labels)" for n, v in sets.all().items()),
              file=sys.stderr)
    if args.epsilon is not None:
        _print_forecast(args, table, schema, out)
    return 0


def _column_and_set(text: str) -> tuple[str, str]:
    column, sep, name = text.partition("=")
    if not sep or not column.strip() or not name.strip():
        raise DoppelInputError(f"'{text}' is not COLUMN=SET, e.g. department=Departments.")
    return column.strip(), name.strip()


def _print_forecast(args: argparse.Namespace, table: operations.LoadedTable, schema: Schema, out: TextIO) -> None:
    rows = kept_aside.keep_aside(table.frame, args.keep_aside).train if args.keep_aside else table.frame
    config = RunConfig(epsilon=args.epsilon, delta=args.delta, preprocessing_fraction=args.preprocessing_share)
    found = forecast(rows, schema, config)
    print("", file=out)
    print(found.summary(), file=out)
    width = max(len(c.name) for c in found.columns)
    print(f"{'column':<{width}}  {'forecast':<11}  {'if declared':<34}  why", file=out)
    for c in found.columns:
        print(f"{c.name:<{width}}  {c.outcome:<11}  {c.if_declared:<34}  {c.reason}", file=out)


def _cmd_train(args: argparse.Namespace, out: TextIO, synthesize: bool = False) -> int:
    table = operations.load_table(args.file, args.sheet)
    schema = operations.schema_for(table, args.schema)
    resume = _checkpoint_to_resume(args, table)
    training = dict(model_path=args.model, dataset=args.dataset, allow_over_ceiling=args.allow_over_ceiling,
                    on_event=_progress_printer(sys.stderr if args.json else out), resume=resume,
                    train_on=_training_rows(args, table, resume is not None))
    extra = {}
    if synthesize:
        model, frame = operations.synthesize(table, schema, _config(args), args.rows, args.out, where=args.where,
                                             sample_seed=args.seed, **training)
        extra = {"rows": len(frame), "out": str(args.out)}
    else:
        model = operations.train_model(table, schema, _config(args), **training)
    if args.json:
        print(_summary_line(model, extra), file=out)
    else:
        s = model.summary
        steps = f", σ = {s.facts['noise_multiplier']:.3f}, {s.facts['steps']} steps" \
            if "noise_multiplier" in s.facts else ""
        print(f"done: ε = {s.epsilon_spent:.3f} (target {s.epsilon_target:g}), δ = {s.delta:.2g}{steps} "
              f"in {s.seconds:.1f} s on {s.device}"
              + (f"; model saved to {args.model}" if args.model else "")
              + (f"; {extra['rows']:,} rows written to {args.out}" if extra else ""), file=out)
    return 0


def _training_rows(args: argparse.Namespace, table: operations.LoadedTable, resuming: bool) -> pd.DataFrame | None:
    """With ``--keep-aside``, the rows to train on; the kept rows are written first (a resumed run
    reuses the holdout file it wrote, so no row it trained on can join the holdout)."""
    if args.keep_aside is None:
        if args.holdout_out:
            raise DoppelInputError("--holdout-out needs --keep-aside SHARE (e.g. --keep-aside 0.2).")
        return None
    if not args.holdout_out:
        raise DoppelInputError("--keep-aside needs --holdout-out FILE: where to write the rows kept out of training.")
    if resuming and Path(args.holdout_out).is_file():
        train, _ = kept_aside.without(table.frame, operations.load_table(args.holdout_out).frame)
        return train
    split = kept_aside.keep_aside(table.frame, args.keep_aside)
    operations.write_rows(split.holdout, args.holdout_out)
    print(f"kept {len(split.holdout):,} rows aside in {args.holdout_out} (real rows: keep it inside the team); "
          f"training on {len(split.train):,}", file=sys.stderr)
    return split.train


def _checkpoint_to_resume(args: argparse.Namespace, table: operations.LoadedTable) -> str | Path | None:
    """``--resume PATH`` as given; a bare ``--resume`` finds the table's newest checkpoint."""
    if args.resume is None or args.resume:
        return args.resume
    found = operations.find_checkpoint(table, args.dataset)
    if found is None:
        raise DoppelInputError(f"No interrupted run of {table.path.name} to resume (no checkpoint for this "
                               "file's content); train without --resume.")
    return found


def _cmd_sample(args: argparse.Namespace, out: TextIO) -> int:
    model = operations.open_model(args.model)
    frame = operations.export_sample(model, args.rows, args.out, args.where, seed=args.seed,
                                     on_event=_progress_printer(sys.stderr))
    print(f"{len(frame):,} rows written to {args.out} (model ε = {model.summary.epsilon_spent:.3f})", file=out)
    return 0


def _cmd_ledger(args: argparse.Namespace, out: TextIO) -> int:
    table = operations.load_table(args.file)
    status = operations.set_ceiling(table, args.set_ceiling, args.dataset) if args.set_ceiling \
        else operations.ledger_status(table, args.dataset)
    if args.json:
        print(json.dumps({"total_epsilon": status.total, "ceiling": status.ceiling, "warning": status.warning,
                          "runs": [e.__dict__ for e in status.entries]}), file=out)
        return 0
    print(f"{table.path.name}: ε spent {status.total:.3f} of ceiling {status.ceiling:g} "
          f"over {len(status.entries)} run(s)", file=out)
    for e in status.entries:
        print(f"  {e.when}  ε {e.epsilon:.3f}  δ {e.delta:.2g}  {e.label}", file=out)
    if status.warning:
        print(f"warning: {status.warning}", file=sys.stderr)
    return 0


def _cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    result = operations.report_files(args.real, args.synthetic, args.out, holdout_path=args.holdout,
                                     model_path=args.model, schema_path=args.schema, target=args.target, seed=args.seed)
    if args.json:
        print(json.dumps(result.to_json()), file=out)
    else:
        u = result.utility
        print(f"fidelity {result.marginal:.3f} ({result.marginal_band}), pairs {result.pairwise:.3f} "
              f"({result.pairwise_band})" + (f", TSTR {u.metric} {u.tstr:.3f} vs TRTR {u.trtr:.3f}" if u else "")
              + f", exact copies {result.privacy.exact_copy_share:.1%}; report written to {args.out}", file=out)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print("note: this report reads real rows and is not covered by differential privacy; keep it inside the team.",
          file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        if args.command == "inspect":
            return _cmd_inspect(args, out)
        if args.command == "train":
            return _cmd_train(args, out)
        if args.command == "synthesize":
            return _cmd_train(args, out, synthesize=True)
        if args.command == "sample":
            return _cmd_sample(args, out)
        if args.command == "report":
            return _cmd_report(args, out)
        return _cmd_ledger(args, out)
    except DoppelInputError as exc:
        print(f"doppel: {exc}", file=sys.stderr)
        return 2
    except TrainingCancelled as exc:
        print(f"doppel: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("doppel: interrupted; nothing was saved"
              + ("; the same command with --resume continues from the last checkpoint, if one was written."
                 if args.command in ("train", "synthesize") else "."), file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last resort of a CLI
        print(f"doppel: internal error: {exc.__class__.__name__}: {exc} (set DOPPEL_DEBUG=1 for details)",
              file=sys.stderr)
        if os.environ.get("DOPPEL_DEBUG"):
            traceback.print_exc()
        return 1
