"""`tending moderate` (the review queue) and `tending train` (the moderation models)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import click

from tending.cli.context import AppContext, community_option, echo_json, format_option, pass_app
from tending.errors import BadInputError

CLASSIFY_BATCH = 512


@click.group()
def moderate() -> None:
    """Moderation triage: spam, self-promotion, reposts, insults, heated threads, off-topic drift.

    \b
    Example:
      tending moderate scan --since 2026-03-01
      tending moderate queue
      tending moderate act 12 nudge
      echo '{"id": 1, "text": "check out my channel!!"}' | tending moderate classify
    """


@moderate.command("scan")
@click.option(
    "--since", metavar="ISO", help="Only activities from this instant on (a date or date-time)."
)
@click.option(
    "--media-root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder that relative attachment paths of the export are relative to (for image reposts).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes that analyse the texts (default: one per core from 20,000 contributions on).",
)
@community_option
@format_option("table", "json")
@pass_app
def scan_command(
    app: AppContext,
    since: str | None,
    media_root: Path | None,
    workers: int | None,
    community_name: str | None,
    output_format: str,
) -> None:
    """Scan contributions and fill the review queue (rescanning adds nothing twice).

    Example: tending moderate scan --since 2026-03-01 --community "Chats diabétiques"
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from tending.actions.moderation import do_scan_community
    from tending.actions.review import count_scannable
    from tending.timeutil import get_zone, parse_instant, utcnow

    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        start = (
            parse_instant(since, default_tz=get_zone(community.timezone), field="--since")
            if since
            else None
        )
        total = count_scannable(conn, community.id, since=start)
        columns = (TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(
            *columns, transient=True, console=_stderr_console(), disable=output_format == "json"
        ) as bar:
            task = bar.add_task("scan", total=total)
            summary = do_scan_community(
                conn,
                community,
                now=utcnow(),
                since=start,
                media_root=media_root,
                actor="cli",
                progress=lambda n: bar.advance(task, n),
                workers=workers,
            )
    if output_format == "json":
        echo_json(summary.as_dict())
        return
    found = (
        ", ".join(f"{n} {signal}" for signal, n in sorted(summary.new_items.items()))
        or "nothing new"
    )
    click.echo(
        f"Scanned {summary.scanned} contributions ({summary.skipped_staff_or_bots} by staff or bots skipped): "
        f"{found}."
    )
    if summary.images_missing:
        click.echo(
            f"{summary.images_missing} attached images could not be read (see --media-root)."
        )


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


@moderate.command("queue")
@click.option(
    "--status",
    type=click.Choice(["open", "done", "all"]),
    default="open",
    show_default=True,
    help="Which items to list.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="At most this many items.",
)
@community_option
@format_option("table", "json")
@pass_app
def queue_command(
    app: AppContext, status: str, limit: int, community_name: str | None, output_format: str
) -> None:
    """List the review queue, newest first, with each item's evidence and suggested action.

    Example: tending moderate queue --format json --status all
    """
    from tending.actions.moderation import get_queue
    from tending.timeutil import isoformat_utc

    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        items = get_queue(conn, community, status=None if status == "all" else status, limit=limit)
    if output_format == "json":
        echo_json(
            [
                {
                    **{k: v for k, v in item.items() if k != "community_id"},
                    "occurred_at": isoformat_utc(item["occurred_at"]),
                    "created_at": isoformat_utc(item["created_at"]),
                    "acted_at": isoformat_utc(item["acted_at"]),
                }
                for item in items
            ]
        )
        return
    if not items:
        click.echo("The queue is empty." if status == "open" else "No item.")
        return
    for item in items:
        click.echo(_item_line(item))


def _item_line(item: dict[str, Any]) -> str:
    evidence = item["evidence"] if isinstance(item["evidence"], dict) else {}
    what = evidence.get("text") or (
        f"week of {evidence['week']}: {evidence['share']:.0%} unlike the community "
        f"(tolerance {evidence['tolerance']:.0%})"
        if "week" in evidence
        else ""
    )
    if item["signal"] == "heated":
        what = f"{len(evidence.get('messages', []))} fast replies between members {evidence.get('members')}"
    what = " ".join(str(what).split())
    if len(what) > 70:
        what = what[:69] + "…"
    state = item["action"] if item["status"] == "done" else f"suggest {item['suggested_action']}"
    return f"{item['id']:>6}  {item['signal']:<16} {item['score']:.2f}  {state:<15} {what}"


@moderate.command("act")
@click.argument("item_id", type=int)
@click.argument("action", type=click.Choice(["leave", "nudge", "note", "warn", "remove"]))
@click.option("--note", help="A note for the other moderators, kept with the item.")
@click.option(
    "--by",
    "actor",
    default="cli",
    show_default=True,
    help="Who decides (recorded in the audit log).",
)
@community_option
@format_option("table", "json")
@pass_app
def act_command(
    app: AppContext,
    item_id: int,
    action: str,
    note: str | None,
    actor: str,
    community_name: str | None,
    output_format: str,
) -> None:
    """Decide on a queue item: leave, nudge (public reply), note (private), warn, or remove.

    tending records the decision and drafts the reply; acting on the platform stays yours.

    Example: tending moderate act 12 nudge --by chloe
    """
    from tending.actions.moderation import do_act_on_item
    from tending.timeutil import utcnow

    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        result = do_act_on_item(
            conn, community, item_id, action, actor=actor, now=utcnow(), note=note
        )
    if output_format == "json":
        echo_json(result.__dict__)
        return
    click.echo(f"Item {item_id}: {action} recorded.")
    if action == "remove":
        click.echo("Remove the message on the platform yourself; tending only keeps the record.")
    if result.not_contacted:
        click.echo("This member asked not to be contacted: no private message was drafted.")
    if result.reply:
        click.echo(f"Suggested reply:\n{result.reply}")


@moderate.command("classify")
def classify_command() -> None:
    """Score JSON lines from stdin: {"id", "text", optional "author", "thread", "lang"}.

    Writes one JSON line per input: {"id", "scores": {"spam", "toxic", "self_promotion", "insult", "hate",
    "threat", "profanity"}, "labels", "lang"}. A message the models cannot read (empty, only emoji or a
    link, another language) gets scores of 0 and its "lang" ("und" when there is nothing to read).

    Example: echo '{"id": 1, "text": "Abonnez-vous à ma chaîne !"}' | tending moderate classify
    """
    from tending.actions.review import shipped_classifier

    classifier = shipped_classifier()
    out = sys.stdout
    for batch, error in _batches(sys.stdin):
        if batch:
            ids, texts, langs = zip(*batch, strict=True)
            for result in classifier.classify(ids, texts, langs):
                out.write(json.dumps(result.as_json(), ensure_ascii=False) + "\n")
            out.flush()
        if error is not None:
            raise error


def _batches(
    stream: TextIO,
) -> Iterator[tuple[list[tuple[Any, str, str | None]], BadInputError | None]]:
    """Parsed lines in batches; a bad line ends the stream with the batch before it and the error."""
    batch: list[tuple[Any, str, str | None]] = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            parsed = _parse_line(line, number)
        except BadInputError as error:
            yield batch, error
            return
        batch.append(parsed)
        if len(batch) >= CLASSIFY_BATCH:
            yield batch, None
            batch = []
    yield batch, None


def _parse_line(line: str, number: int) -> tuple[Any, str, str | None]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        raise BadInputError(f"not valid JSON ({error.msg})", path="stdin", line=number) from None
    if not isinstance(value, dict):
        raise BadInputError("expected a JSON object", path="stdin", line=number)
    if "id" not in value:
        raise BadInputError("missing", path="stdin", line=number, field="id")
    text = value.get("text")
    if not isinstance(text, str):
        raise BadInputError("missing or not a string", path="stdin", line=number, field="text")
    lang = value.get("lang")
    return value["id"], text, lang if isinstance(lang, str) else None


@click.command()
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of labelled data laid out like shared/data (spam/, toxicity/, sentiment/).",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the models (*.npz and manifest.json).",
)
@click.option(
    "--model",
    "names",
    multiple=True,
    type=click.Choice(
        ["spam", "self_promotion", "toxic_fr", "toxic_en", "sentiment_fr", "sentiment_en"]
    ),
    help="Retrain only this model (repeatable); the others' files and manifest entries are kept.",
)
def train(data_dir: Path, out_dir: Path, names: tuple[str, ...]) -> None:
    """Train the spam, self-promotion, toxicity (fr, en) and sentiment (fr, en) models from labelled data.

    The sentiment models go to the folder sentiment/ inside --out, with their own manifest.

    \b
    Example (reproduces the shipped models):
      tending train --data ../shared/data --out src/tending/moderation/models
    Only the spam model:
      tending train --data ../shared/data --out src/tending/moderation/models --model spam
    """
    from tending.actions.review import (
        MODEL_NAMES,
        SENTIMENT_NAMES,
        train_all,
        train_sentiment_models,
    )

    if not data_dir.is_dir():
        raise click.UsageError(f"--data: {data_dir} is not a folder.")
    chosen = names or (*MODEL_NAMES, *SENTIMENT_NAMES)
    progress = lambda message: click.echo(message, err=True)  # noqa: E731
    moderation = [name for name in chosen if name not in SENTIMENT_NAMES]
    report = train_all(data_dir, out_dir, names=moderation, progress=progress) if moderation else {}
    for name, entry in report.items():
        metrics = entry["out_of_fold"]
        click.echo(
            f"{name:15} threshold {entry['threshold']:.3f}  precision {metrics['precision']:.3f}  "
            f"recall {metrics['recall']:.3f}  ROC-AUC {metrics['roc_auc']:.3f}  ({entry['examples']} examples)"
        )
    moods = [name for name in chosen if name in SENTIMENT_NAMES]
    for name, entry in (
        train_sentiment_models(data_dir, out_dir / "sentiment", names=moods, progress=progress)
        if moods
        else {}
    ).items():
        metrics = entry["out_of_fold"]
        click.echo(
            f"{name:15} confident negative at {entry['threshold']:.3f}  out-of-fold macro-F1 "
            f"{metrics['macro_f1']:.3f}  ({entry['examples']} examples)"
        )
    click.echo(f"Models written to {out_dir}.")


def _register() -> None:
    """The rules and backtest commands live in their own module (tending.cli.moderation_rules)."""
    from tending.cli.moderation_rules import backtest_command, notices_command, rules_command

    moderate.add_command(rules_command)
    moderate.add_command(backtest_command)
    moderate.add_command(notices_command)


_register()
