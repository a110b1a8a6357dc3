"""Local job runner: plan, skip what the manifest says is done, record every outcome."""
from __future__ import annotations

import glob
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from colorize_cli.errors import OutputExistsError, UsageError
from colorize_cli.formats import kind_of_ext
from colorize_cli.io.discover import WorkItem, discover
from colorize_cli.jobs.ledger import Ticket, open_ledger
from colorize_cli.jobs.lookahead import LookAhead
from colorize_cli.jobs.manifest import Manifest, config_hash
from colorize_cli.results import ItemResult


def expand_inputs(inputs) -> list[str]:
    """`@list.txt` reads one path per line; a pattern that is not an existing path is globbed."""
    out: list[str] = []
    for raw in map(str, inputs):
        if raw.startswith("@") and not Path(raw).exists():
            listing = Path(raw[1:])
            if not listing.is_file():
                raise UsageError(f"{listing}: list file not found")
            try:   # file names are bytes: undecodable ones map back to the same bytes (PEP 383)
                text = listing.read_bytes().decode(sys.getfilesystemencoding(), "surrogateescape")
            except OSError as e:
                raise UsageError(f"{listing}: cannot read the list file ({e.strerror or e})") from None
            if "\0" in text:
                raise UsageError(f"{listing}: not a text list of paths (it holds NUL bytes)")
            out += [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        elif not Path(raw).exists() and glob.has_magic(raw):
            matches = sorted(glob.glob(raw, recursive=True))
            if not matches:
                raise UsageError(f"{raw}: pattern matches nothing")
            out += matches
        else:
            out.append(raw)
    return out


def job_root(inputs: list[str], out, out_is_folder: bool = False) -> Path | None:
    """Where the manifest lives: the output folder of an archive run (None for loose files).

    A folder in, or several inputs, make an archive run whatever `-o` looks like (`colored.v1`
    is a folder name too); a single file with `-o` goes to a folder only when `-o` is one.
    """
    if out is not None:
        o = Path(out)
        if len(inputs) > 1 or any(Path(i).is_dir() for i in inputs) or o.is_dir() or out_is_folder \
                or (not o.suffix and not o.exists()):
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
    lock: object | None = None     # the job lock, taken early by --reset-manifest; open_job keeps it
    hints: dict = field(default_factory=dict)    # source -> Hints (jobs.hints)
    notes: list = field(default_factory=list)    # what the inputs hold that is not taken


def make_plan(inputs, out=None, output_ext=None, overwrite=False, skip_existing=False,
              use_manifest=True, reset_manifest=False, dry=False, codec=None, hints=None,
              segmented=False) -> Plan:
    inputs, out, out_is_folder, items, notes = _targets(inputs, out, output_ext)
    check_format(items, output_ext)
    check_outputs(items, codec, segmented)
    root = job_root(inputs, out, out_is_folder) if use_manifest else None
    from colorize_cli.jobs.hints import plan_hints

    item_hints = plan_hints(items, hints, root if root is not None else (out if out_is_folder else None))
    lock = None
    if root is not None and reset_manifest and not dry:   # a dry run never sets anything aside
        lock = _reset_under_lock(root)
    try:
        manifest = _open_manifest(root, tolerate_damage=dry and reset_manifest)
        conflicts = [it.output for it in items if it.output.exists()
                     and not (manifest is not None and manifest.owns(it.source, it.output))]
        if conflicts and not (overwrite or skip_existing):
            more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
            raise OutputExistsError(f"{conflicts[0]}: output exists{more}; use --overwrite or --skip-existing")
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    return Plan(items, root, manifest, conflicts, lock, item_hints, notes)


def _targets(inputs, out, output_ext):
    """(inputs, out, out_is_folder, items, notes): what the inputs hold and where each goes."""
    from colorize_cli.files import as_path, as_paths

    inputs = expand_inputs(as_paths(inputs))   # one path is one input, not a sequence of characters
    out_is_folder = out is not None and os.fsdecode(os.fspath(out)).endswith(("/", os.sep)) \
        if isinstance(out, (str, bytes, os.PathLike)) else False     # `-o name.2/` is a folder
    out = as_path(out, "the output") if out is not None else None
    _check_inputs(inputs, out)
    notes: list = []
    items = discover(inputs, out, output_ext=output_ext, out_is_folder=out_is_folder, notes=notes)
    if not items:
        why = f" ({'; '.join(notes)})" if notes else ""
        raise UsageError("no photos or videos found in " + ", ".join(map(str, inputs)) + why)
    return inputs, out, out_is_folder, items, notes


def hint_targets(inputs, out=None) -> tuple[list[WorkItem], Path | None]:
    """The items `colorize run INPUTS [-o OUT]` makes, and the folder their outputs' relative paths
    are taken from for `--hints DIR` (None: the output's name alone): the hint editor writes the
    very files such a run reads."""
    inputs, out, out_is_folder, items, _ = _targets(inputs, out, None)
    root = job_root(inputs, out, out_is_folder)
    return items, root if root is not None else (out if out_is_folder else None)


def _check_inputs(inputs: list, out: Path | None) -> None:
    from colorize_cli.files import resolved

    if not inputs:
        raise UsageError("no inputs given")
    if out is not None and Path(out).exists() and not Path(out).is_dir() \
            and (len(inputs) > 1 or any(Path(i).is_dir() for i in inputs)):
        raise UsageError(f"{out}: is a file; a folder or several inputs need an output folder")
    if out is not None and any(Path(i).is_dir() and resolved(Path(i)) == resolved(out) for i in inputs):
        raise UsageError(f"{out}: the output folder is the input folder; choose another -o")


def check_format(items: list[WorkItem], output_ext: str | None) -> None:
    """--format applies to every input: a photo format for a film (or the reverse) is refused."""
    wrong = [it for it in items if output_ext and kind_of_ext(output_ext) != it.kind]
    if wrong:
        it = wrong[0]
        raise UsageError(f"{it.source}: a {'film' if it.kind == 'video' else 'photo'} cannot be written "
                         f"as {output_ext} (--format applies to every input)")


SEGMENT_REFUSED = {".mpg", ".mpeg", ".vob", ".m2v"}   # MPEG-PS: its muxer's delays move a joined film


def check_outputs(items: list[WorkItem], codec: str | None, segmented: bool = False) -> None:
    """Refuse, before any model loads, outputs that cannot be written: a film named as a photo
    (or the reverse), a container that cannot hold the film's encoder, a segmented MPEG-PS film."""
    from colorize_cli.io.video import check_container

    checked: set = set()
    for it in items:
        kind = kind_of_ext(it.output.suffix)
        if kind is not None and kind != it.kind:
            what = "film" if it.kind == "video" else "photo"
            raise UsageError(f"{it.output}: a {what} cannot be written as {it.output.suffix} "
                             f"(name the output with a {what} extension)")
        ext = it.output.suffix.lower()
        if segmented and it.kind == "video" and ext in SEGMENT_REFUSED:
            raise UsageError(f"{it.output}: --segment-seconds cannot join MPEG-PS ({ext}) films; "
                             f"write .mkv, .mp4 or .ts, or run the film whole")
        if it.kind == "video" and ext not in checked:
            checked.add(ext)
            check_container(it.output, codec)


def _reset_under_lock(root: Path):
    """Take the job lock, then set the manifest aside: never while another job writes there."""
    from colorize_cli.jobs.lock import JobLock

    if not root.is_dir():
        return None            # nothing to reset; open_job takes the lock when the folder exists
    lock = JobLock(root).acquire()
    try:
        Manifest.reset(root)
    except OSError as e:
        lock.release()
        raise UsageError(f"{root}: cannot set the job manifest aside ({e.strerror or e})") from None
    return lock


def _open_manifest(root: Path | None, tolerate_damage: bool) -> Manifest | None:
    if root is None:
        return None
    try:
        return Manifest.open_existing(root)
    except UsageError:
        if tolerate_damage:    # the dry run of a reset: plan as the reset run would, with no record
            return None
        raise


def loose_film_root(output: Path) -> Path:
    """The job folder of a film run on its own with --segment-seconds: a folder of the cache
    named after the output, so a rerun of the same command finds its segments again."""
    import hashlib

    from colorize_cli.files import cache_root, resolved

    tag = hashlib.sha1(os.fsencode(resolved(output))).hexdigest()[:16]
    return cache_root() / "films" / tag


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


def open_job(plan: Plan, settings: dict, config: str, **extra) -> Manifest | None:
    """The job's manifest (created if needed), after checking the output folder is writable."""
    if plan.root is None:
        return None
    check_writable(plan.root)
    from colorize_cli.jobs.lock import JobLock

    lock = plan.lock or JobLock(plan.root).acquire()   # before the manifest changes: one writer per folder
    plan.lock = None
    try:
        manifest = plan.manifest or Manifest(plan.root)
    except BaseException:
        lock.release()
        raise
    manifest.lock = lock
    manifest.recover()
    manifest.set_job(config=config, settings=settings, total_items=len(plan.items), started=time.time(),
                     outputs=[manifest.okey(it.output) for it in plan.items], **extra)
    return manifest


def run_job(session, plan: Plan, options, on_item: Callable | None = None,
            on_frames: Callable | None = None, verify: bool = False) -> Iterator[ItemResult]:
    """Process a plan locally through a loaded Session: each item admitted, run and recorded by
    the job's ledger (jobs.ledger; a null one for loose files)."""
    from colorize_cli.colour import jit
    from colorize_cli.jobs.config import session_settings

    settings = session_settings(session, options)
    config = config_hash(settings)
    if plan.root is None and options.segment_seconds:   # segments need a manifest and a work folder:
        plan.root = loose_film_root(plan.items[0].output)  # in the cache, not beside the user's film
    ledger = open_ledger(open_job(plan, settings, config), config, options, verify, plan.hints)
    ahead = LookAhead(session, plan.items, options, plan.hints) \
        if LookAhead.wanted(session, plan.items, options) else None
    measured = [0, 0.0]      # done frames and seconds: this machine's speed record (jobs.speed)
    kinds = [it.kind for it in plan.items]
    before = jit.choose_for(photos=kinds.count("image"), films=kinds.count("video"))  # numba: a big job only
    try:
        for i, item in enumerate(plan.items):
            if on_item:
                on_item(item)
            started = ahead.take(i) if ahead else None
            if ahead and item.kind == "image":    # not beside a film: it has the cores to itself
                ahead.start(i + 1, ledger.worth)
            got = ledger.admit(item)
            if isinstance(got, Ticket):
                with ledger.publishing(got):
                    res = _run_item(session, got, ledger, options, on_frames, started, plan.root)
                ledger.record(got, res)
                _count(measured, res)
            else:
                res = got
            yield res
    finally:
        jit.restore(before)
        if ahead is not None:
            ahead.close()
        ledger.close()
        from colorize_cli.jobs import speed

        speed.record(settings["model"], settings["engine"], *measured)


def _run_item(session, ticket: Ticket, ledger, options, on_frames, started, root) -> ItemResult:
    """An admitted item: a segmented film through its SegmentedFilm, anything else whole."""
    from colorize_cli.jobs.film import run_film_locally
    from colorize_cli.pipeline.item import process_item

    item = ticket.item
    if item.kind == "video" and options.segment_seconds:
        film = ledger.segmented(ticket, root)
        return film if isinstance(film, ItemResult) else run_film_locally(session, film, on_frames)
    return process_item(session, item, options, on_frames, replace=ticket.replace, ahead=started,
                        expect=ticket.fp, hints=ticket.hints)


def _count(measured: list, res) -> None:
    if res.status == "done" and res.frames and res.seconds:
        measured[0] += res.frames
        measured[1] += res.seconds
