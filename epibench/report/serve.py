"""HTTP server for ``epibench tracks serve``: a tracks folder with CORS headers and byte ranges.

The WashU Epigenome Browser reads bigWigs with byte-range requests from another origin, so the
server must answer ``Range`` requests and send CORS headers; Python's ``python -m http.server``
does neither. :func:`serve` does both: ``epibench tracks serve --dir results/<cohort>/tracks``
(port 8000 on 127.0.0.1; Chrome and Firefox let an https page read from http://127.0.0.1,
Chrome may first ask for permission to access the local network), then load
``http://127.0.0.1:8000/hub.json`` in the browser (see :mod:`epibench.report.datahub`).
"""

from __future__ import annotations

import logging
import os
import re
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from epibench.report.datahub import HUB_NAME

log = logging.getLogger(__name__)

_COPY_CHUNK = 1 << 16
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class RangeCorsHandler(SimpleHTTPRequestHandler):
    """Static files with CORS headers and single byte-range requests (what the browser needs)."""

    _remaining: int | None = None

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Expose-Headers", "Content-Length, Content-Range, Accept-Ranges")
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def do_OPTIONS(self) -> None:
        """CORS preflight: allow GET/HEAD with a Range header."""
        self.send_response(204)
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Range")
        self.send_header("Access-Control-Allow-Private-Network", "true")
        self.end_headers()

    def send_head(self):
        """A 206 response for ``Range: bytes=a-b`` / ``a-`` / ``-n`` on a file; otherwise the default."""
        self._remaining = None
        match = _RANGE.match(self.headers.get("Range", "").strip())
        path = self.translate_path(self.path)
        if match is None or not os.path.isfile(path) or match.groups() == ("", ""):
            return super().send_head()
        size = os.path.getsize(path)
        first, last = match.groups()
        start = int(first) if first else max(size - int(last), 0)
        end = min(int(last), size - 1) if first and last else size - 1
        if start >= size or start > end:
            self.send_error(416, "Requested Range Not Satisfiable")
            return None
        f = open(path, "rb")  # noqa: SIM115 (the caller closes it, as SimpleHTTPRequestHandler does)
        f.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self._remaining = end - start + 1
        return f

    def copyfile(self, source, outputfile) -> None:
        """Copy the whole file, or only the requested range."""
        if self._remaining is None:
            super().copyfile(source, outputfile)
        else:
            remaining = self._remaining
            while remaining > 0:
                chunk = source.read(min(remaining, _COPY_CHUNK))
                if not chunk:
                    break
                outputfile.write(chunk)
                remaining -= len(chunk)


def make_server(out_dir: str | os.PathLike, port: int = 8000, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server for ``out_dir`` with CORS and byte ranges (port 0: any free port)."""
    handler = partial(RangeCorsHandler, directory=str(out_dir))
    return ThreadingHTTPServer((host, port), handler)


def serve(out_dir: str | os.PathLike, port: int = 8000, host: str = "127.0.0.1") -> None:
    """Serve ``out_dir`` until interrupted; load ``http://<host>:<port>/hub.json`` in the browser."""
    with make_server(out_dir, port, host) as server:
        log.info("serving %s at http://%s:%d/%s (Ctrl-C stops)", out_dir, host, server.server_port, HUB_NAME)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
