"""The editor's local HTTP server (standard library only).

Safety: it binds to 127.0.0.1; every request carries the token (`?token=` or the
X-Colorize-Token header) or gets 403; a Host other than its own address gets 403 (DNS
rebinding); a path that is not one of the routes below gets 404, and no route opens a path from
the request: items are named by index. Hint files are written only by HintFolder.save, under the
hints folder.

  GET  /                           the page
  GET  /api/items                  the items, the hints folder, the command that applies them
  GET  /api/items/N                one item: size, saved hints; films: frames, cuts, times
  GET  /api/items/N/gray[?frame=K] the gray picture (JPEG, preview size)
  POST /api/items/N/render[?frame=K]   body: hint JSON -> {"image": data URL, "tracked": points}
  GET  /api/items/N/suggest?x=&y=[&frame=K]   {"colours": ["#rrggbb", ...]}
  POST /api/items/N/hints          body: hint JSON -> saved (atomically) where the run reads it
"""
from __future__ import annotations

import base64
import hmac
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from colorize_cli.errors import ColorizeError, UsageError

PAGE = Path(__file__).with_name("page.html")
MAX_BODY = 1 << 20
ROUTE = re.compile(r"^/api/items(?:/(\d{1,9})(?:/(gray|render|suggest|hints))?)?$")


class EditorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, folder, views, port: int = 0):
        super().__init__(("127.0.0.1", port), Handler)
        self.folder, self.views = folder, views
        self.on_close = None                # frees what the server was given (the engine)
        self.token = secrets.token_urlsafe(18)
        self.saving = threading.Lock()      # held while a hint file is written: shutdown waits for it
        self.port = self.server_address[1]
        self._serving = False
        self.hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    def close(self) -> None:
        """Stop serving; a save in progress finishes first (no partial file is left)."""
        if self._serving:
            self.shutdown()
        with self.saving:
            self.server_close()
        if self.on_close is not None:
            self.on_close()
            self.on_close = None

    def serve_forever(self, poll_interval=0.5):
        self._serving = True
        try:
            super().serve_forever(poll_interval)
        finally:
            self._serving = False


class Handler(BaseHTTPRequestHandler):
    server: EditorServer
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):     # quiet: the terminal shows the address and errors only
        pass

    # --- gates ---------------------------------------------------------------------------------
    def _allowed(self) -> bool:
        if self.headers.get("Host", "") not in self.server.hosts:
            self._send(403, {"error": "wrong Host: open the address the editor printed"})
            return False
        query = parse_qs(urlsplit(self.path).query)
        given = self.headers.get("X-Colorize-Token") or (query.get("token") or [""])[0]
        if not hmac.compare_digest(given.encode(), self.server.token.encode()):
            self._send(403, {"error": "missing or wrong token: open the address the editor printed"})
            return False
        return True

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        try:
            if not self._allowed():
                return
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/" and method == "GET":
                return self._send(200, PAGE.read_bytes(), "text/html; charset=utf-8")
            m = ROUTE.match(url.path)
            index = int(m.group(1)) if m and m.group(1) else None
            if not m or (index is not None and index >= len(self.server.folder.items)):
                return self._send(404, {"error": "not found"})
            action = m.group(2) or ("item" if index is not None else "items")
            allowed = {"items": "GET", "item": "GET", "gray": "GET", "suggest": "GET", "render": "POST", "hints": "POST"}
            if allowed[action] != method:
                return self._send(405, {"error": f"{method} is not allowed here"})
            getattr(self, "_" + action)(index, query)
        except (UsageError, ValueError) as e:
            self._send(400, {"error": str(e)})
        except ColorizeError as e:
            self._send(422, {"error": str(e)})
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as e:         # a bug: the page shows it and the editor keeps serving
            import traceback

            traceback.print_exc()
            self._send(500, {"error": f"{type(e).__name__}: {e}"})

    # --- routes --------------------------------------------------------------------------------
    def _items(self, index, query):
        f = self.server.folder
        items = [{"index": ei.index, "name": ei.label, "kind": ei.kind,
                  "hinted": f.found(ei.index) is not None} for ei in f.items]
        self._send(200, {"items": items, "hints_dir": str(f.dir), "command": f.command()})

    def _item(self, index, query):
        f, ei = self.server.folder, self.server.folder.items[index]
        info = {"index": index, "name": ei.label, "kind": ei.kind, "target": str(ei.target),
                "hints": f.load(index)}
        if ei.kind == "film":
            v = self.server.views.film(index)
            info.update(frames=len(v.pts), cuts=v.cuts, times=v.times, rate=v.rate)
        else:
            v = self.server.views.photo(index)
        info.update(width=v.width, height=v.height)
        self._send(200, info)

    def _frame(self, index, query) -> int | None:
        if self.server.folder.items[index].kind != "film":
            return None
        frame = int(query.get("frame", "0"))
        if not 0 <= frame < len(self.server.views.film(index).pts):
            raise UsageError(f"frame {frame} is not in the film")
        return frame

    def _gray(self, index, query):
        frame = self._frame(index, query)
        views = self.server.views
        from colorize_cli.editor.views import jpeg

        data = jpeg(views.photo(index).gray) if frame is None else views.film(index).views[frame]
        self._send(200, data, "image/jpeg")

    def _render(self, index, query):
        frame = self._frame(index, query)
        hints = self.server.folder.check(index, self._body())
        tracked = []
        if frame is None:
            image = self.server.views.render_photo(index, hints)
        else:
            image, points = self.server.views.render_frame(index, frame, hints)
            tracked = [[round(float(p.x), 1), round(float(p.y), 1), "#%02x%02x%02x" % p.rgb, float(p.radius)]
                       for p in points]
        self._send(200, {"image": "data:image/jpeg;base64," + base64.b64encode(image).decode(),
                         "tracked": tracked})

    def _suggest(self, index, query):
        frame = self._frame(index, query)
        colours = self.server.views.suggest(index, float(query["x"]), float(query["y"]), frame)
        self._send(200, {"colours": colours})

    def _hints(self, index, query):
        doc = self._body()
        with self.server.saving:
            path = self.server.folder.save(index, doc)
        self._send(200, {"saved": str(path), "command": self.server.folder.command()})

    # --- plumbing ------------------------------------------------------------------------------
    def _body(self) -> dict:
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise UsageError(f"request body over {MAX_BODY} bytes")
        try:
            doc = json.loads(self.rfile.read(n).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise UsageError(f"the body is not JSON ({e})") from None
        if not isinstance(doc, dict):
            raise UsageError("the body is a JSON object of hints")
        return doc

    def _send(self, code: int, body, ctype: str = "application/json") -> None:
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        if code >= 400:            # an unread request body must not be taken for the next request
            self.send_header("Connection", "close")
            self.close_connection = True
        self.send_header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
                         "style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'")
        self.end_headers()
        self.wfile.write(data)
