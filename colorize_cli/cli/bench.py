"""`colorize bench`: inference throughput and end-to-end fps beside transcode-only, in one run."""
from __future__ import annotations

import json
import platform

import click

from .group import cli
from .common import err_console, model_options


@cli.command()
@model_options(only=("model", "engine"))
@click.option("--batches", default="1,4,8,16,32,64", show_default=True)
@click.option("--frames", default=120, show_default=True, type=click.IntRange(2, 100_000),
              help="frames per synthetic clip")
@click.option("--clips", default="1080,480", show_default=True, help="clip heights (16:9), empty for none")
@click.option("--preset", default="veryfast", show_default=True)
@click.option("--crf", default=18, show_default=True, type=click.IntRange(0, 51))
@click.option("--temporal", "temporals", default="flow,off", show_default=True,
              help="temporal modes timed end to end (comma-separated)")
@click.option("--rounds", default=3, show_default=True, type=click.IntRange(1, 100),
              help="end-to-end rounds; medians are reported (each round times every column)")
@click.option("--video", "videos", multiple=True, help="also time this real clip end to end (repeatable)")
@click.option("--photos", "n_photos", default=20, show_default=True, type=click.IntRange(0, 10_000),
              help="photos for the per-photo and busy-machine runs (0: skip)")
@click.option("--startup/--no-startup", default=True, show_default=True,
              help="time `colorize --help`, --version, status and models (each a new process)")
@click.option("--json", "as_json", is_flag=True)
@model_options(only=("batch_size",))
def bench(model, engine, batches, frames, clips, preset, crf, batch_size, temporals, rounds, videos, n_photos,
          startup, as_json):
    """Print img/s, batch-1 latency, end-to-end fps and the ratios (last). Needs torch (the
    network is compared with PyTorch eager): the [gpu] extra."""
    try:
        import torch
    except ImportError:
        from colorize_cli.errors import MissingExtraError

        raise MissingExtraError("colorize bench compares the engines with PyTorch eager: "
                                "pip install 'colorize-archive[gpu]'") from None

    from colorize_cli.api import ModelOptions, resolve_model
    from colorize_cli.tools.bench import chroma_path, editor_change, end_to_end, hints_cost, inference, photos, smoothing
    from colorize_cli.tools.bench import startup as startup_times

    o = ModelOptions(model=model, engine=engine or "auto", batch_size=batch_size)   # None: the engine's own
    model, engine, batch_size = resolve_model(o.model), o.engine, o.batch_size

    report = {"machine": {"cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
                          "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                          "torch": torch.__version__}}
    if startup:
        err_console.print("start-up times ...")
        report["startup_s"] = startup_times()
        from colorize_cli.tools.bench import run_costs

        report["run_costs"] = run_costs(model)
    batch_list = _positive_list("--batches", batches, 1, 4096)
    report["inference"] = inference(model, engine, batch_list)
    report["end_to_end"] = []
    modes = tuple(t for t in temporals.split(",") if t) or ("flow",)
    heights = _positive_list("--clips", clips, 16, 4320)
    for h in heights:
        w = (h * 16 // 9) // 2 * 2
        err_console.print(f"end-to-end {w}x{h}, {frames} frames, temporal {', '.join(modes)}, {rounds} rounds ...")
        report["end_to_end"] += end_to_end(model, engine, w, h, frames, crf, preset, batch_size, temporals=modes,
                                           rounds=rounds)
    report["chroma_path"] = chroma_path(heights or [480], model_name=model)
    report["smoothing"] = smoothing(model, heights or [480])
    for row in report["smoothing"]:   # the smoother's share of the end-to-end time per frame
        def run_row(temporal):
            return next((e for e in report["end_to_end"] if e["clip"].endswith(f"x{row['clip_height']}")
                         and e["temporal"] == temporal), None)
        e2e, off = run_row("flow"), run_row("off")
        if e2e and e2e["colorize_fps"]:
            row["flow_share_of_e2e"] = round(row["flow_ms"] * e2e["colorize_fps"] / 1000, 3)
        if e2e and off and off["colorize_fps"]:   # the same rounds, one after the other
            row["flow_fps_cost"] = round(1 - e2e["colorize_fps"] / off["colorize_fps"], 3)
    if n_photos:
        err_console.print(f"{n_photos} photos, idle and beside a busy process ...")
        report["photos"] = photos(model, engine, n_photos)
        err_console.print("colour hints: a 1 MP photo with 0, 2 and 20 points ...")
        report["hints"] = hints_cost(model, engine)
        err_console.print("hint editor: time per change on a 1 MP photo ...")
        report["editor"] = editor_change(model, engine)
    for v in videos:
        err_console.print(f"end-to-end {v} ...")
        report["end_to_end"] += end_to_end(model, engine, 0, 0, 0, crf, preset, batch_size, video=v,
                                           temporals=modes, rounds=rounds)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return 0
    inf = report["inference"]
    click.echo(f"machine: {report['machine']}")
    click.echo(f"{inf['model']} on {inf['engine']} at {inf['size']}px: " +
               ", ".join(f"batch {b}: {v} img/s" for b, v in inf["batches"].items()))
    for e in report["end_to_end"]:
        click.echo(f"{e['clip']} ({e['frames']} frames, {e['encoder']}, temporal {e['temporal']}, median of "
                   f"{e['rounds']} rounds): colorize "
                   f"{e['colorize_fps']} fps, network-only {e['network_fps']} fps, transcode-only "
                   f"{e['transcode_fps']} fps, serial bound {e['serial_bound_fps']} fps; "
                   f"ms per frame {e['stage_ms_per_frame']}")
    if "photos" in report:
        p = report["photos"]
        click.echo(f"photos ({p['photos']} x {p['size']}, {p['threads']} threads): {p['photos_per_s']} photos/s, "
                   f"{p['per_photo_ms']} ms each; one at a time (--photos-ahead 0) {p['serial_photos_per_s']} "
                   f"photos/s, {p['serial_per_photo_ms']} ms each, stage ms {p['stage_ms']}; beside a busy "
                   f"process {p['busy_photos_per_s']} photos/s")
    if "hints" in report:
        hc = report["hints"]
        click.echo(f"colour hints on a {hc['photo']} photo: " + ", ".join(
            f"{k} points {ms} ms ({hc['ratio'][k]}x)" for k, ms in hc["ms"].items()))
    if "editor" in report:
        ed = report["editor"]
        click.echo(f"hint editor (colorize edit) on a {ed['photo']} photo, preview {ed['preview']}, "
                   f"{ed['points']} points: {ed['ms_per_change']} ms per change (HTTP render), automatic "
                   f"preview {ed['automatic_preview_ms']} ms")
    for c in report["chroma_path"]:
        more = f", {c['chroma_ms_all_cores']} on {c['cores']} threads" if "chroma_ms_all_cores" in c else ""
        click.echo(f"chroma path alone at {c['clip_height']}p (Y' -> L, L at the 4:2:0 sites, network input, "
                   f"Cb/Cr planes): {c['chroma_ms']} ms/frame on 1 thread{more}")
    for s in report["smoothing"]:
        click.echo(f"temporal smoothing at {s['clip_height']}p (network size {s['render_shape']}): "
                   f"flow {s['flow_ms']} ms/frame, ema {s['ema_ms']} ms/frame")
    if "startup_s" in report:
        st = report["startup_s"]
        click.echo("start-up (s, median of 3 new processes): " + ", ".join(f"{k} {v}" for k, v in st.items()))
        click.echo("whole `colorize run` processes (wall s, peak RSS MB): " + ", ".join(
            f"{k} {v['wall_s']} s {v['peak_mb']} MB" for k, v in report["run_costs"].items()))
    click.echo("ratios:")
    click.echo(f"  batch-1 latency {inf['batch1_ms']} ms; engine vs naive eager at batch 1: "
               f"{inf['speedup_vs_naive_batch1']}x ({inf['naive_eager_batch1_ms']} ms)")
    if "startup_s" in report:
        st = report["startup_s"]
        click.echo(f"  start-up: colorize --help / python alone = {round(st['--help'] / st['python'], 2)}; "
                   f"models / --help = {round(st['models'] / st['--help'], 1)}")
    for e in report["end_to_end"]:
        click.echo(f"  {e['clip']}, temporal {e['temporal']}: colorize / transcode-only = {e['ratio']}; "
                   f"colorize / serial bound = {e['fraction_of_bound']} (rounds "
                   f"{e['fraction_of_bound_rounds'][0]}-{e['fraction_of_bound_rounds'][1]}); against "
                   f"transcode-only with the source's frame types forced on x264 "
                   f"({e['transcode_source_types_fps']} fps): {e['fraction_of_bound_source_types']}")
    if "photos" in report:
        p = report["photos"]
        click.echo(f"  photos: per-photo / (decode + network + encode one at a time) = "
                   f"{p['per_photo_vs_decode_network_encode']} (one at a time: "
                   f"{p['serial_vs_decode_network_encode']}); busy / idle = {p['busy_vs_idle']}")
    if "editor" in report:
        ed = report["editor"]
        click.echo(f"  hint editor: per change / automatic preview = {ed['change_vs_automatic']}; "
                   f"per change / 0.5 s target = {ed['change_vs_target_0_5s']}")
    for s in report["smoothing"]:
        if "flow_share_of_e2e" in s:
            click.echo(f"  {s['clip_height']}p: flow smoothing share of end-to-end time = {s['flow_share_of_e2e']}")
        if "flow_fps_cost" in s:
            click.echo(f"  {s['clip_height']}p: end-to-end fps lost to flow smoothing (1 - flow fps / off fps) "
                       f"= {s['flow_fps_cost']}")
    return 0


def _positive_list(flag: str, text: str, low: int, high: int) -> list[int]:
    """Comma-separated whole numbers within [low, high]; else a one-line usage error."""
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if not part.isdigit() or not low <= int(part) <= high:
            raise click.BadParameter(f"{part!r} is not a whole number from {low} to {high}", param_hint=flag)
        out.append(int(part))
    return out
