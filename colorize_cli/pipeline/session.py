"""A loaded model on an engine: what every item of a job runs through (locally, or one per Ray
actor). Built from validated ModelOptions; a context manager that closes its engine."""
from __future__ import annotations

from colorize_cli.errors import UsageError
from colorize_cli.options import DEFAULT_MODEL, ModelOptions
from colorize_cli.pipeline.predict import ChromaPredictor


def resolve_model(model: str | None, weights_file=None) -> str:
    """The model to build: as asked; else the one a weights file's card names; else the default."""
    from colorize_cli.models.spec import read_card

    if model:
        return model
    if weights_file is not None:
        named = read_card(weights_file).get("model")
        if named:
            return named
    return DEFAULT_MODEL


def weights_id(weights_file) -> str | None:
    """sha256 of a weights file given by path (None: the shipped weights, named by their card)."""
    from colorize_cli.models import weights_sha256

    return None if weights_file is None else weights_sha256(weights_file)


class Session:
    """model + engine + predictor, from ModelOptions (or the same fields as keywords)."""

    def __init__(self, options: ModelOptions | None = None, *, require_weights: bool = True, **fields):
        from colorize_cli import threads as thread_budget
        from colorize_cli.engines import select_engine
        from colorize_cli.memory import reuse_freed_memory
        from colorize_cli.models import get_spec

        o = options or ModelOptions(**fields)
        self.options = o
        name = resolve_model(o.model, o.weights_file)
        spec = get_spec(name)
        if require_weights and o.weights_file is None and not spec.has_weights:
            from colorize_cli.models.spec import installed_dir

            raise UsageError(f"model {name!r} has no trained weights in this install: train them with `python "
                             f"scripts/train_zoo.py --models {name} --data TRAIN --val VAL --install` (it "
                             f"puts {name}.onnx in {installed_dir()}), or pass --weights FILE")
        self.spec = spec
        self.weights_id = weights_id(o.weights_file)
        self.threads = thread_budget.apply(o.threads)
        reuse_freed_memory()      # frame-sized temporaries without page faults (colorize_cli.memory)
        cls, self.engine_reason = select_engine(o.engine)
        net = cls.model_for(spec, o.weights_file)   # the shipped ONNX graph on the CPU: no torch
        self.batch_size = o.batch_size or cls.default_batch
        self.engine = cls.load(net, max_batch=self.batch_size, render_size=o.render_size, threads=self.threads)
        self.predictor = ChromaPredictor(self.engine)

    def describe(self) -> str:
        return (f"model {self.spec.name} on {self.engine.describe()}, {self.threads} CPU threads, render size "
                f"{self.predictor.render_size} [{self.engine_reason}]")

    def close(self) -> None:
        self.engine.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
