"""`colorize run`: colorize photos, films and folders (through colorize_cli.api)."""
from __future__ import annotations

import click
from rich.markup import escape

from .group import cli
from .common import err_console, make, model_options, print_json, run_options, show_progress


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", help="output file (one input) or folder; default: beside the input as NAME_color")
@model_options()
@run_options()
@click.option("--verify", is_flag=True, help="re-hash outputs the manifest says are done before skipping them")
@click.option("--dry-run", is_flag=True, help="print the plan (no model is loaded, nothing is written)")
@click.option("--ray", "ray_address", is_flag=False, flag_value="auto", default=None,
              help="distribute over a Ray cluster (ADDRESS, or local when given without one)")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per item, then a summary, on stdout")
def run(inputs, output, verify, dry_run, ray_address, as_json, **kw):
    """Colorize photos and videos (files, folders, globs, @list.txt).

    Archive runs (a folder in, or -o FOLDER) keep a manifest in the output folder; running the same
    command again resumes: finished items are skipped, failed or interrupted ones redone.
    """
    from colorize_cli import api
    from colorize_cli.options import ModelOptions, RunOptions

    model, opts = make(ModelOptions, kw), make(RunOptions, kw)   # usage errors before any work
    if dry_run:
        return _print_plan(api.dry_run(inputs, output, opts, model), as_json)
    bars = Bars()

    def results():
        for res in api.run(inputs, output, opts, model, runner="ray" if ray_address else "local",
                           address=ray_address, verify=verify, on_start=bars.on_start, on_item=bars.on_item,
                           on_frames=bars.on_frames):
            bars.on_result(res)
            yield res
    try:
        return _report(results(), as_json, before_summary=bars.progress.stop)
    finally:
        bars.progress.stop()


class Bars:
    """The run's two progress bars (items, frames of the item in hand) and its opening lines."""

    def __init__(self):
        self.progress = _progress()
        self.tasks: dict = {}

    def on_start(self, plan, description):
        from colorize_cli import api

        err_console.print(escape(f"colorize: {len(plan.items)} item(s); {description}"))
        for note in plan.notes:
            err_console.print(escape(f"note: {note}"), soft_wrap=True)
        self.progress.start()
        self.tasks["all"] = self.progress.add_task("items", total=len(plan.items), fps="")
        self.tasks["frames"] = self.progress.add_task("frames", total=None, fps="")

    def on_item(self, item):
        from colorize_cli import api

        self.progress.update(self.tasks["frames"], description=short_name(item.source.name), completed=0, fps="",
                             total=api.estimate_frames(item) if self.progress.live.is_started else None)

    def on_frames(self, n):
        self.progress.advance(self.tasks["frames"], n)
        task = self.progress.tasks[self.tasks["frames"]]
        if task.speed:
            self.progress.update(self.tasks["frames"], fps=f"{task.speed:.1f} fps")

    def on_result(self, res):
        if "all" in self.tasks:
            self.progress.advance(self.tasks["all"])
            if res.kind == "image":     # a photo is one frame: its bar ends full, not at 0/1
                self.progress.update(self.tasks["frames"], completed=1, total=1)


def short_name(name: str, width: int = 40) -> str:
    """A name cut in the middle to `width` characters, its extension kept: "a_very…_part.mp4"."""
    if len(name) <= width:
        return name
    keep = width - 1
    head = (keep + 1) // 2
    return name[:head] + "…" + name[len(name) - (keep - head):]


def _progress():
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[fps]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                    console=err_console, disable=not show_progress(), transient=False)


def _print_plan(plan, as_json: bool) -> int:
    from colorize_cli.cli.common import data_stream

    out, s = data_stream(), plan.summary
    if as_json:
        for r in plan.rows:
            print_json(r)
        print_json({"plan": s})
        return 0
    for r in plan.rows:
        hints = f"  [{r['hints']}]" if r.get("hints") else ""
        out.write(f"{r['state']:>8}  {r['kind']:<5}  {r['frames'] if r['frames'] is not None else '?':>6}  "
                  f"{r['source']} -> {r['output']}{hints}\n")
    if not s["to_do"]:
        eta = "nothing to do"
    elif s["fps"]:
        eta = f"~{s['estimated_seconds']} s at {s['fps']} fps (from {s['fps_from']})"
    else:
        eta = "time unknown until a first run measures this machine"
    out.write(f"{s['items']} item(s): {s['new']} new, {s['redo']} to redo, {s['done']} done, {s['skip']} skipped, "
              f"{s['conflict']} conflicts; {s['existing_outputs']} existing output(s); {s['frames']} frame(s) "
              f"to do; {eta}\n")
    return 0


def readable(text: str) -> str:
    """A file name's bytes that are not UTF-8 shown as \\xNN (as the manifest keeps them), not as
    the lone surrogates Python decodes them to."""
    import re

    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return re.sub(r"\\udc([89a-fA-F][0-9a-fA-F])", r"\\x\1", text)   # a library's repr() of such a name


def _report(results, as_json: bool, before_summary=None) -> int:
    from colorize_cli.api import DONE_EARLIER

    done = []
    earlier = 0
    logged = not show_progress()     # no progress display: a line per finished item, as a log shows it
    for res in results:
        done.append(res)
        if res.status == "failed":
            err_console.print(f"[red]error:[/red] {escape(readable(res.error or 'failed'))}", soft_wrap=True)
        elif res.status == "done" and logged:
            rate = f", {res.fps:g} fps" if res.kind == "video" and res.fps else ""
            what = f"{res.frames} frames" if res.kind == "video" else "photo"
            err_console.print(escape(readable(f"{res.source} -> {res.output}: {what}{rate}, {res.seconds:.2f} s")),
                              soft_wrap=True, highlight=False)
        for w in res.warnings:
            if w == DONE_EARLIER:
                earlier += 1      # counted, said once below
                continue
            err_console.print(f"[yellow]note:[/yellow] {escape(readable(f'{res.source}: {w}'))}", soft_wrap=True)
        if as_json:
            print_json(res.to_dict())
    if before_summary is not None:      # the progress display's last redraw comes before the summary
        before_summary()
    if earlier == len(done) and done:
        err_console.print(f"nothing to do: all {earlier} item(s) were done in an earlier run and are unchanged")
    elif earlier:
        err_console.print(f"{earlier} item(s) done in an earlier run, unchanged: skipped")
    summary = {s: sum(r.status == s for r in done) for s in ("done", "skipped", "failed")}
    summary["frames"] = sum(r.frames for r in done)
    summary["seconds"] = round(sum(r.seconds for r in done), 3)
    if as_json:
        print_json({"summary": summary})
    err_console.print(f"done {summary['done']}, skipped {summary['skipped']}, failed {summary['failed']}")
    return 1 if summary["failed"] else 0
