"""A dry run: what a run would do with each item, by the real run's rules, without loading a
model or writing anything."""
from __future__ import annotations

from dataclasses import dataclass

from colorize_cli.errors import ColorizeError



def estimate_frames(item) -> int | None:
    if item.kind == "image":
        return 1
    try:
        from colorize_cli.io.video import VideoSource

        with VideoSource(item.source) as src:
            return src.estimated_frames
    except Exception:  # unreadable files are reported as such by the real run
        return None


def planned_state(plan, item, options, config: str | None) -> str:
    """What the real run will do with `item`, by the real run's rules (jobs.ledger):
    new, redo (changed input or settings, interrupted, failed), done (skipped: unchanged),
    skip (--skip-existing and a file that is not ours), conflict (exists, not ours)."""
    from colorize_cli.jobs.manifest import fingerprint

    from colorize_cli.jobs.ledger import Ledger, item_config_hash

    manifest = plan.manifest
    exists = item.output.exists()
    if manifest is None:
        if exists and not options.overwrite:
            return "skip" if options.skip_existing else "conflict"
        return "redo" if exists else "new"
    foreign = Ledger(manifest, "", options).foreign(item)     # the real run's rule, not a copy of it
    if foreign is not None:
        return "skip" if foreign.status == "skipped" else "conflict"
    rec = manifest.get(item.output)
    try:
        fp = fingerprint(item.source)
    except (OSError, ColorizeError):
        return "new"    # the real run reports it as failed
    hints = plan.hints.get(item.source)
    if config is not None and manifest.is_done(item.source, item.output, fp, item_config_hash(config, hints)):
        return "done"
    return "redo" if rec is not None or exists else "new"


@dataclass
class DryRun:
    rows: list        # {"source", "output", "kind", "frames", "state"} per item
    summary: dict     # counts, frames to do, the manifest, an estimate from its measured fps


def dry_run(plan, options, config: str | None = None, machine_fps: float | None = None) -> DryRun:
    """machine_fps: this machine's speed for the model from earlier jobs (jobs.speed), used when
    the job's own manifest has none."""
    manifest = plan.manifest
    past = manifest.summary() if manifest is not None else None
    rows, total_frames, unknown = [], 0, 0
    for it in plan.items:
        state = planned_state(plan, it, options, config)
        frames = estimate_frames(it) if state in ("new", "redo") else 0
        if frames is None:
            unknown += 1
        else:
            total_frames += frames
        hints = plan.hints.get(it.source)
        rows.append({"source": str(it.source), "output": str(it.output), "kind": it.kind,
                     "frames": frames, "state": state,
                     "hints": f"{hints.describe()} from {hints.source}" if hints else None})
    fps = past["fps"] if past and past["fps"] else machine_fps
    source = "the manifest" if past and past["fps"] else "earlier jobs on this machine" if fps else None
    counts = {s: sum(r["state"] == s for r in rows) for s in ("new", "redo", "done", "skip", "conflict")}
    summary = {"items": len(rows), "to_do": counts["new"] + counts["redo"], **counts,
               "existing_outputs": sum(it.output.exists() for it in plan.items),
               "frames": total_frames, "unknown_frames": unknown,
               "manifest": str(manifest.path) if manifest else None, "fps": fps, "fps_from": source,
               "estimated_seconds": round(total_frames / fps, 1) if fps and total_frames else
               (0.0 if not total_frames and not unknown else None)}
    return DryRun(rows, summary)
