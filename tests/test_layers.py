"""The import graph follows the layering in the README (bottom to top); no cycles.

Every import counts, at module level or inside a function: a lazy import that points up the
layers is still a dependency that points up.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"colorize_cli": ROOT / "colorize_cli", "colorize_cli.models": ROOT / "models",
            "colorize_cli.engines": ROOT / "engines"}
# bottom to top; a module may import its own layer's modules and any layer below
LAYERS = [
    ("core", ["colorize_cli", "colorize_cli.version", "colorize_cli.errors", "colorize_cli.formats",
              "colorize_cli.options", "colorize_cli.results", "colorize_cli.files", "colorize_cli.colorspace",
              "colorize_cli.threads", "colorize_cli.memory", "colorize_cli.hints",
              "colorize_cli.colour", "colorize_cli.clock"]),
    ("models", ["colorize_cli.models"]),
    ("engines", ["colorize_cli.engines"]),
    ("io", ["colorize_cli.io"]),
    ("pipeline", ["colorize_cli.pipeline"]),
    ("jobs", ["colorize_cli.jobs"]),
    ("api", ["colorize_cli.api", "colorize_cli.inventory"]),
    ("tools", ["colorize_cli.tools", "colorize_cli.editor"]),
    ("cli", ["colorize_cli.cli", "colorize_cli.__main__"]),
]


def modules() -> dict[str, Path]:
    found = {}
    for pkg, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([pkg, *parts])
            if pkg == "colorize_cli" and parts and parts[0] in ("models", "engines"):
                continue
            found[name] = path
    return found


def layer_of(name: str) -> int:
    best, depth = None, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (name == p or name.startswith(p + ".")) and len(p) > depth and (p != "colorize_cli" or name == p):
                best, depth = i, len(p)
    assert best is not None, f"{name} is in no layer: add it to LAYERS (and the README)"
    return best


def imports(name: str, path: Path, known: set) -> set[str]:
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                mod = ".".join(base[:len(base) - node.level + 1] + ([mod] if mod else []))
            targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
        for t in targets:
            t = t.strip(".")
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def test_no_import_points_up_the_layers():
    bad = []
    for name, deps in graph().items():
        for dep in deps:
            if dep == "colorize_cli":
                continue
            if layer_of(dep) > layer_of(name):
                bad.append(f"{name} ({LAYERS[layer_of(name)][0]}) imports {dep} ({LAYERS[layer_of(dep)][0]})")
    assert not bad, "imports pointing up the layers:\n" + "\n".join(sorted(bad))


CLI_MAY_IMPORT = ("colorize_cli.api", "colorize_cli.inventory", "colorize_cli.options", "colorize_cli.errors",
                  "colorize_cli.version", "colorize_cli.cli", "colorize_cli.tools", "colorize_cli.editor.app")


def test_the_cli_only_calls_the_facade():
    """Commands parse and print; the work is done through colorize_cli.api (and the inventory
    and tools beside it): the CLI never reaches into jobs, pipeline, io, models or engines."""
    bad = [f"{name} imports {dep}" for name, deps in graph().items() if name.startswith("colorize_cli.cli")
           for dep in deps if dep != "colorize_cli" and not dep.startswith(CLI_MAY_IMPORT)]
    assert not bad, "\n".join(sorted(bad))


def test_import_graph_has_no_cycle():
    g = graph()
    index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

    def strong(v):                     # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in g:
        if v not in index:
            strong(v)
    assert not cycles, f"import cycles: {cycles}"


def test_the_checker_sees_a_forbidden_import(tmp_path):
    """The checker itself: a lazy upward import inside a function is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from colorize_cli.api import Colorizer\n")
    deps = imports("colorize_cli.models.bad", bad, set(modules()))
    assert "colorize_cli.api" in deps and layer_of("colorize_cli.api") > layer_of("colorize_cli.models.bad")


def test_training_code_stays_apart_from_inference():
    """models.training (recipes, the lite trainer, the campaign, data, PatchGAN) is imported by
    scripts and tests only: no module that colorizes reaches into it."""
    bad = [f"{name} imports {dep}" for name, deps in graph().items()
           if not name.startswith("colorize_cli.models.training")
           for dep in deps if dep.startswith("colorize_cli.models.training")]
    assert not bad, "\n".join(sorted(bad))
