"""The editor as one object: the inputs' hint files, the loaded model, the server (what
`colorize edit` starts, and what a script or the bench can start on a thread)."""
from __future__ import annotations

from colorize_cli.editor.items import HintFolder
from colorize_cli.editor.server import EditorServer
from colorize_cli.editor.views import Views
from colorize_cli.errors import UsageError
from colorize_cli.options import ModelOptions


def open_editor(inputs, output=None, hints=None, options: ModelOptions | None = None, port: int = 0) -> EditorServer:
    """Plan the inputs (usage errors first), bind 127.0.0.1:port, load the model. Serve with
    `serve_forever()`; `close()` stops it and frees the engine."""
    from colorize_cli.api import Colorizer

    folder = HintFolder(inputs, output, hints)
    try:
        server = EditorServer(folder, None, port)
    except OSError as e:
        raise UsageError(f"cannot listen on 127.0.0.1:{port} ({e.strerror or e}); choose another --port") from None
    try:
        cz = Colorizer(options=options or ModelOptions())
    except BaseException:
        server.server_close()
        raise
    server.views = Views(cz, [ei.item.source for ei in folder.items], [ei.kind for ei in folder.items])
    server.on_close = server.views.close
    return server
