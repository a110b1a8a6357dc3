"""`colorize run`: colorize photos, films and folders."""
from __future__ import annotations

import click
from rich.markup import escape
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)

from . import cli
from .common import engine_option, err_console, model_option, print_json, show_progress


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", help="output file (one input) or folder; default: beside the input as NAME_color")
@model_option()
@engine_option
@click.option("--weights", help="weights file for the model (default: the shipped one)")
@click.option("--batch-size", default=8, show_default=True, type=click.IntRange(1, 1024))
@click.option("--render-size", type=click.IntRange(16, 4096),
              help="short side of the image the network sees (default: the model's)")
@click.option("--temporal", default="flow", show_default=True, type=click.Choice(["flow", "ema", "off"]),
              help="temporal smoothing of video chroma: motion-compensated (flow), plain average "
                   "(ema) or none; resets at scene cuts")
@click.option("--temporal-strength", type=click.FloatRange(0, 0.99),
              help="weight of the past frame in the blend [default: flow 0.8, ema 0.6]")
@click.option("--saturation", default=1.0, show_default=True, type=click.FloatRange(0, 3),
              help="scale the predicted chroma (more or less colourful)")
@click.option("--codec", help="video encoder (default libx264; libx265/ffv1 keep 10-bit)")
@click.option("--crf", default=18, show_default=True, type=int)
@click.option("--preset", default="medium", show_default=True)
@click.option("--format", "output_ext", help="output extension, e.g. mkv or png (default: as the input)")
@click.option("--max-pixels", type=int, help="refuse photos larger than this (decompression bombs)")
@click.option("--overwrite", is_flag=True, help="replace existing outputs")
@click.option("--skip-existing", is_flag=True, help="leave existing outputs and skip their inputs")
@click.option("--segment-seconds", type=click.FloatRange(1, None),
              help="do films in keyframe segments of about this length (resumable per segment)")
@click.option("--verify", is_flag=True, help="re-hash outputs the manifest says are done before skipping them")
@click.option("--dry-run", is_flag=True, help="print the plan (no model is loaded, nothing is written)")
@click.option("--ray", "ray_address", is_flag=False, flag_value="auto", default=None,
              help="distribute over a Ray cluster (ADDRESS, or local when given without one)")
@click.option("--allow-truncated", is_flag=True,
              help="finish damaged or cut films with the frames and streams that are there (noted in the "
                   "result) instead of failing them")
@click.option("--reset-manifest", is_flag=True,
              help="set a damaged job manifest aside (kept as .damaged-TIME) and start its record afresh")
@click.option("--threads", type=click.IntRange(1, 1024),
              help="CPU threads to use [default: the cores this process may use, honouring "
                   "OMP_NUM_THREADS and the CPU affinity mask]")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per item, then a summary, on stdout")
def run(inputs, output, model, engine, weights, batch_size, render_size, temporal, temporal_strength,
        saturation, codec, crf, preset, output_ext, max_pixels, overwrite, skip_existing, segment_seconds, verify, dry_run,
        ray_address, allow_truncated, reset_manifest, threads, as_json):
    """Colorize photos and videos (files, folders, globs, @list.txt).

    Archive runs (a folder in, or -o FOLDER) keep a manifest in the output folder; running the same
    command again resumes: finished items are skipped, failed or interrupted ones redone.
    """
    from colorize_cli.api import Colorizer, RunOptions
    from colorize_cli.errors import UsageError
    from colorize_cli.jobs.plan import estimate_frames
    from colorize_cli.jobs.runner import make_plan, run_job

    if overwrite and skip_existing:
        raise UsageError("--overwrite and --skip-existing exclude each other")
    opts = RunOptions(overwrite=overwrite, skip_existing=skip_existing, codec=codec, crf=crf, preset=preset,
                      temporal=temporal, temporal_strength=temporal_strength, saturation=saturation,
                      output_ext=output_ext, max_pixels=max_pixels, segment_seconds=segment_seconds,
                      reset_manifest=reset_manifest, allow_truncated=allow_truncated)
    plan = make_plan(inputs, output, output_ext, overwrite, skip_existing, reset_manifest=reset_manifest)  # usage errors before any work
    if dry_run:
        from colorize_cli.api import planned_config
        from colorize_cli.jobs.plan import print_plan
        config = planned_config(model, engine, weights or "default", render_size, opts) \
            if plan.manifest is not None else None
        return print_plan(plan, as_json, opts, config)
    if ray_address is not None:
        from colorize_cli.jobs.ray_runner import run_on_ray
        results = run_on_ray(plan, opts, ray_address, model=model, engine=engine, weights=weights,
                             batch_size=batch_size, render_size=render_size)
        return _report(results, as_json)
    cz = Colorizer(model, engine, batch_size, render_size, weights=weights or "default", threads=threads)
    err_console.print(escape(f"colorize: {len(plan.items)} item(s); {cz.describe()}"))
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[fps]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                        console=err_console, disable=not show_progress(), transient=False)
    with progress:
        all_task = progress.add_task("items", total=len(plan.items), fps="")
        frame_task = progress.add_task("frames", total=None, fps="")

        def on_item(item):
            progress.update(frame_task, description=item.source.name[:40], completed=0,
                            total=estimate_frames(item) if progress.live.is_started else None)

        def on_frames(n):
            progress.advance(frame_task, n)
            task = progress.tasks[frame_task]
            if task.speed:
                progress.update(frame_task, fps=f"{task.speed:.1f} fps")

        def results():
            for res in run_job(cz, plan, opts, on_item, on_frames, verify):
                progress.advance(all_task)
                yield res

        return _report(results(), as_json)


def _report(results, as_json: bool) -> int:
    done = []
    for res in results:
        done.append(res)
        if res.status == "failed":
            err_console.print(f"[red]error:[/red] {escape(res.error or 'failed')}", soft_wrap=True)
        for w in res.warnings:
            err_console.print(f"[yellow]note:[/yellow] {escape(f'{res.source}: {w}')}", soft_wrap=True)
        if as_json:
            print_json(res.to_dict())
    summary = {s: sum(r.status == s for r in done) for s in ("done", "skipped", "failed")}
    summary["frames"] = sum(r.frames for r in done)
    summary["seconds"] = round(sum(r.seconds for r in done), 3)
    if as_json:
        print_json({"summary": summary})
    err_console.print(f"done {summary['done']}, skipped {summary['skipped']}, failed {summary['failed']}")
    return 1 if summary["failed"] else 0

