"""Find inputs (files, folders, recursive) and map each to its output path."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from colorize_cli.errors import UsageError
from colorize_cli.files import resolved
from colorize_cli.formats import kind_of_ext


def kind_of(path: Path) -> str | None:
    return kind_of_ext(path.suffix)


@dataclass(frozen=True)
class WorkItem:
    source: Path
    output: Path
    kind: str            # "image" or "video"


def _is_partial(path: Path) -> bool:
    return path.name.startswith(".") and ".partial" in path.name


UNSUPPORTED = {".gif": "GIF", ".avif": "AVIF", ".heic": "HEIC", ".heif": "HEIF", ".jxl": "JPEG XL",
               ".jp2": "JPEG 2000"}
OURS = (".colorize-", "colorize-manifest.sqlite")     # the job's own files: never input, never noted


def _skipped_notes(src: Path, found: set, skip: Path) -> list[str]:
    """What a folder holds that is not taken, said in a few lines (never silently)."""
    hidden, unsupported, links = 0, {}, []
    for p in src.rglob("*"):
        rel = p.relative_to(src)
        if any(part.startswith(OURS) for part in rel.parts) or _is_partial(p) or resolved(p).is_relative_to(skip):
            continue
        if p.is_symlink() and p.is_dir():
            links.append(str(p))
        elif any(part.startswith(".") for part in rel.parts):
            hidden += bool(kind_of(p)) and not p.is_dir()
        elif p.suffix.lower() in UNSUPPORTED and p not in found:
            name = UNSUPPORTED[p.suffix.lower()]
            unsupported[name] = unsupported.get(name, 0) + 1
    notes = [f"{src}: {n} {kind} file{'s' if n > 1 else ''} skipped (not supported)"
             for kind, n in sorted(unsupported.items())]
    if hidden:
        notes.append(f"{src}: {hidden} hidden photo/film file{'s' if hidden > 1 else ''} skipped "
                     f"(names or folders starting with '.')")
    notes += [f"{link}: a symbolic link to a folder, not followed (give its target as an input)" for link in links]
    return notes


def discover(inputs: list[str | Path], out: str | Path | None = None, suffix: str = "_color",
             output_ext: str | None = None, out_is_folder: bool = False,
             notes: list | None = None) -> list[WorkItem]:
    """Expand files and folders into work items.

    A folder's tree is mirrored under `out` (default: `<folder>_color` beside it). A single file
    goes to `out` if that is a file name, else into the folder `out`, else beside the input as
    `<stem>_color<ext>`. Hidden files and our own partial files are skipped.
    """
    items: list[WorkItem] = []
    out = Path(out) if out is not None else None
    many = len(inputs) > 1
    for raw in inputs:
        src = Path(raw)
        if src.is_dir():
            root_out = (out / resolved(src).name if many else out) if out else \
                resolved(src).with_name(resolved(src).name + suffix)
            items += _folder_items(src, root_out, output_ext, notes)
        elif src.exists() or src.is_symlink():
            kind = kind_of(src) or "video"  # unknown extension: let the demuxer decide
            if out is None:
                dst = src.with_name(src.stem + suffix + src.suffix)
            elif out.suffix and not out.is_dir() and not many and not out_is_folder:
                dst = out
            else:
                dst = out / src.name
            items.append(WorkItem(src, _with_ext(dst, output_ext), kind))
        else:
            raise UsageError(f"{src}: no such file or folder")
    _check_collisions(items)
    return items


def _folder_items(src: Path, root_out: Path, output_ext: str | None, notes: list | None) -> list[WorkItem]:
    """A folder's media, its tree mirrored under root_out (hidden files and root_out itself left out)."""
    skip = resolved(root_out)   # an output folder inside the input is not input
    # not only regular files: a FIFO or a broken link with a media name becomes an item that
    # fails with its own line (never silently skipped, never opened)
    found = sorted(p for p in src.rglob("*") if kind_of(p) and not p.is_dir()
                   and not any(part.startswith(".") for part in p.relative_to(src).parts)
                   and not resolved(p).is_relative_to(skip))
    if notes is not None:
        notes += _skipped_notes(src, set(found), skip)
    return [WorkItem(p, _with_ext(root_out / p.relative_to(src), output_ext), kind_of(p)) for p in found]


def _check_collisions(items: list[WorkItem]) -> None:
    """Two inputs writing one output, or an output that is its input: refused."""
    seen: dict[Path, Path] = {}
    for it in items:
        key = resolved(it.output)
        if key in seen:
            raise UsageError(f"{it.source} and {seen[key]} would both write {it.output}")
        seen[key] = it.source
        if key == resolved(it.source):
            raise UsageError(f"{it.source}: output would overwrite the input")


def _with_ext(path: Path, ext: str | None) -> Path:
    if not ext:
        return path
    return path.with_suffix(ext if ext.startswith(".") else "." + ext)
