"""`--dry-run`: what a run would do, without loading a model."""
from __future__ import annotations

import json
import sys



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
    """What the real run will do with `item`, by the real run's rules (jobs.runner):
    new, redo (changed input or settings, interrupted, failed), done (skipped: unchanged),
    skip (--skip-existing and a file that is not ours), conflict (exists, not ours)."""
    from colorize_cli.jobs.manifest import fingerprint

    from colorize_cli.jobs.runner import foreign_output

    manifest = plan.manifest
    exists = item.output.exists()
    if manifest is None:
        if exists and not options.overwrite:
            return "skip" if options.skip_existing else "conflict"
        return "redo" if exists else "new"
    foreign = foreign_output(manifest, item, options)     # the real run's rule, not a copy of it
    if foreign is not None:
        return "skip" if foreign.status == "skipped" else "conflict"
    rec = manifest.get(item.source)
    try:
        fp = fingerprint(item.source)
    except OSError:
        return "new"    # the real run reports it as failed
    if config is not None and manifest.is_done(item.source, item.output, fp, config):
        return "done"
    return "redo" if rec is not None or exists else "new"


def print_plan(plan, as_json: bool, options=None, config: str | None = None) -> int:
    from colorize_cli.api import RunOptions

    options = options or RunOptions()
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
        rows.append({"source": str(it.source), "output": str(it.output), "kind": it.kind,
                     "frames": frames, "state": state})
    fps = past["fps"] if past and past["fps"] else None
    counts = {s: sum(r["state"] == s for r in rows) for s in ("new", "redo", "done", "skip", "conflict")}
    existing = sum(it.output.exists() for it in plan.items)
    summary = {"items": len(rows), "to_do": counts["new"] + counts["redo"], **counts,
               "existing_outputs": existing, "frames": total_frames, "unknown_frames": unknown,
               "manifest": str(manifest.path) if manifest else None,
               "estimated_seconds": round(total_frames / fps, 1) if fps and total_frames else
               (0.0 if not total_frames and not unknown else None)}
    out = sys.stdout
    if as_json:
        for r in rows:
            out.write(json.dumps(r) + "\n")
        out.write(json.dumps({"plan": summary}) + "\n")
    else:
        for r in rows:
            out.write(f"{r['state']:>8}  {r['kind']:<5}  {r['frames'] if r['frames'] is not None else '?':>6}  "
                      f"{r['source']} -> {r['output']}\n")
        if not summary["to_do"]:
            eta = "nothing to do"
        elif fps:
            eta = f"~{summary['estimated_seconds']} s at {fps} fps (from the manifest)"
        else:
            eta = "time unknown until a first run measures this machine"
        out.write(f"{summary['items']} item(s): {summary['new']} new, {summary['redo']} to redo, "
                  f"{summary['done']} done, {summary['skip']} skipped, {summary['conflict']} conflicts; "
                  f"{existing} existing output(s); {total_frames} frame(s) to do; {eta}\n")
    return 0
