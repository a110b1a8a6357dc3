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


def print_plan(plan, as_json: bool) -> int:
    manifest = plan.manifest
    past = manifest.summary() if manifest is not None else None
    rows, total_frames, unknown = [], 0, 0
    conflicts = {str(c) for c in plan.conflicts}
    for it in plan.items:
        frames = estimate_frames(it)
        if frames is None:
            unknown += 1
        else:
            total_frames += frames
        rec = manifest.get(it.source) if manifest is not None else None
        state = rec.status if rec is not None else ("exists" if str(it.output) in conflicts else "new")
        rows.append({"source": str(it.source), "output": str(it.output), "kind": it.kind,
                     "frames": frames, "state": state})
    fps = past["fps"] if past and past["fps"] else None
    summary = {"items": len(rows), "frames": total_frames, "unknown_frames": unknown,
               "conflicts": len(conflicts), "manifest": str(manifest.path) if manifest else None,
               "estimated_seconds": round(total_frames / fps, 1) if fps else None}
    out = sys.stdout
    if as_json:
        for r in rows:
            out.write(json.dumps(r) + "\n")
        out.write(json.dumps({"plan": summary}) + "\n")
    else:
        for r in rows:
            out.write(f"{r['state']:>8}  {r['kind']:<5}  {r['frames'] if r['frames'] is not None else '?':>6}  "
                      f"{r['source']} -> {r['output']}\n")
        eta = f"~{summary['estimated_seconds']} s at {fps} fps (from the manifest)" if fps else \
            "time unknown until a first run measures this machine"
        out.write(f"{summary['items']} item(s), {total_frames} frame(s), {len(conflicts)} existing output(s); {eta}\n")
    return 0
