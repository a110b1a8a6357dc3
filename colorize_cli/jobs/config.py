"""The settings a job's outputs depend on: hashed into the manifest's config, so a changed
setting means redo, not skip. Computable without loading a model (the dry run admits items
with exactly the real run's rule)."""
from __future__ import annotations

from colorize_cli.jobs.manifest import config_hash
from colorize_cli.options import ModelOptions, RunOptions, output_fields


def job_settings(model: str, engine_name: str, weights_id: str | None, render_size: int | None,
                 options: RunOptions, card: dict | None = None) -> dict:
    """card: the model card of the weights file in use (None: the shipped weights')."""
    from colorize_cli.models import get_spec

    spec = get_spec(model)
    return {"model": spec.name, "weights": weights_id or spec.card_info().get("sha256"),
            "engine": engine_name, "render_size": spec.render_size(render_size, card),
            **output_fields(options)}    # every option the outputs depend on, by its own name


def session_settings(session, options: RunOptions) -> dict:
    """The settings of a job run by a loaded Session."""
    return job_settings(session.spec.name, session.engine.name, session.weights_id,
                        session.predictor.render_size, options)


def planned_settings(model: ModelOptions, options: RunOptions) -> dict:
    """The settings a run with these options would record (no model is loaded)."""
    from colorize_cli.engines import select_engine
    from colorize_cli.models.spec import read_card
    from colorize_cli.pipeline.session import resolve_model, weights_id

    cls, _ = select_engine(model.engine)
    card = None if model.weights_file is None else read_card(model.weights_file)
    return job_settings(resolve_model(model.model, model.weights_file), cls.name, weights_id(model.weights_file),
                        model.render_size, options, card)


__all__ = ["job_settings", "session_settings", "planned_settings", "config_hash"]
