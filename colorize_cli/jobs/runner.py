"""Local job runner: plan, skip what the manifest says is done, record every outcome."""
from __future__ import annotations

import glob
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from colorize_cli.errors import OutputExistsError, UsageError
from colorize_cli.io.discover import WorkItem, discover
from colorize_cli.jobs.manifest import Manifest, config_hash, fingerprint


def expand_inputs(inputs) -> list[str]:
    """`@list.txt` reads one path per line; a pattern that is not an existing path is globbed."""
    out: list[str] = []
    for raw in map(str, inputs):
        if raw.startswith("@") and not Path(raw).exists():
            listing = Path(raw[1:])
            if not listing.is_file():
                raise UsageError(f"{listing}: list file not found")
            out += [ln.strip() for ln in listing.read_text(encoding="utf-8").splitlines()
                    if ln.strip() and not ln.lstrip().startswith("#")]
        elif not Path(raw).exists() and glob.has_magic(raw):
            matches = sorted(glob.glob(raw, recursive=True))
            if not matches:
                raise UsageError(f"{raw}: pattern matches nothing")
            out += matches
        else:
            out.append(raw)
    return out


def job_root(inputs: list[str], out) -> Path | None:
    """Where the manifest lives: the output folder of an archive run (None for loose files)."""
    if out is not None:
        o = Path(out)
        if o.is_dir() or (not o.suffix and not o.exists()) or len(inputs) > 1:
            return o
        return None
    if len(inputs) == 1 and Path(inputs[0]).is_dir():
        src = Path(inputs[0]).resolve()
        return src.with_name(src.name + "_color")
    return None


@dataclass
class Plan:
    items: list[WorkItem]
    root: Path | None
    manifest: Manifest | None = None
    conflicts: list[Path] = field(default_factory=list)


def make_plan(inputs, out=None, output_ext=None, overwrite=False, skip_existing=False,
              use_manifest=True) -> Plan:
    inputs = expand_inputs(inputs)
    items = discover(inputs, out, output_ext=output_ext)
    if not items:
        raise UsageError("no photos or videos found in " + ", ".join(map(str, inputs)))
    root = job_root(inputs, out) if use_manifest else None
    manifest = Manifest.open_existing(root) if root is not None else None
    conflicts = [it.output for it in items if it.output.exists()
                 and not (manifest is not None and manifest.owns(it.output))]
    if conflicts and not (overwrite or skip_existing):
        more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
        raise OutputExistsError(f"{conflicts[0]}: output exists{more}; use --overwrite or --skip-existing")
    return Plan(items, root, manifest, conflicts)


def check_writable(root: Path) -> None:
    """Fail before any work when the output folder cannot be written."""
    import os
    import tempfile

    probe = root
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"{root}: output folder is not writable")
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".colorize-probe-"):
            pass
    except OSError as e:
        raise UsageError(f"{root}: output folder is not writable ({e.strerror})") from None


def run_job(colorizer, plan: Plan, options, on_item: Callable | None = None,
            on_frames: Callable | None = None, verify: bool = False) -> Iterator:
    """Process a plan locally, recording each item in the manifest (archive runs)."""
    from colorize_cli.api import ItemResult

    config = config_hash(colorizer.settings(options))
    manifest = plan.manifest
    if plan.root is not None:
        check_writable(plan.root)
        manifest = manifest or Manifest(plan.root)
        manifest.set_job(config=config, settings=colorizer.settings(options), total_items=len(plan.items),
                         started=time.time())
    try:
        for item in plan.items:
            if on_item:
                on_item(item)
            if manifest is None:
                yield colorizer.process(item, options, on_frames)
                continue
            try:
                fp = fingerprint(item.source)
            except OSError as e:
                res = ItemResult(str(item.source), str(item.output), item.kind, "failed",
                                 error=f"{item.source}: {e.strerror or e}")
                yield res
                continue
            if manifest.is_done(item.source, item.output, fp, config, verify=verify):
                yield ItemResult(str(item.source), str(item.output), item.kind, "skipped",
                                 warnings=["done in an earlier run (manifest)"])
                continue
            manifest.mark(item.source, item.output, item.kind, fp, config, "running")
            res = colorizer.process(item, options, on_frames, replace=manifest.owns(item.output))
            manifest.mark(item.source, item.output, item.kind, fp, config,
                          "done" if res.status in ("done", "skipped") else "failed",
                          frames=res.frames, seconds=res.seconds, error=res.error)
            yield res
    finally:
        if manifest is not None:
            manifest.close()
