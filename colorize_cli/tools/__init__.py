"""Tools above the API: the benchmark, evaluation on photos and films, preview sheets. The CLI's
bench, eval and preview commands are thin wrappers over these; nothing below imports them."""
