"""A local HTTP server for download tests (127.0.0.1, a free port, in a thread)."""
import contextlib
import functools
import hashlib
import http.server
import threading
from pathlib import Path


class _RecordingHandler(http.server.SimpleHTTPRequestHandler):
    requests = None

    def log_message(self, *args):
        if self.requests is not None:
            self.requests.append(self.path)


@contextlib.contextmanager
def serve_folder(folder, requests=None):
    """Serve ``folder`` while the block runs; yields its base URL. Requested paths are
    appended to ``requests`` when given."""
    handler = type('Handler', (_RecordingHandler, ), dict(requests=requests))
    server = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0), functools.partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}'
    finally:
        server.shutdown()
        server.server_close()


def name_by_sha256(path) -> Path:
    """Rename ``stem.ext`` to ``stem-<sha256 prefix>.ext``, as published checkpoints are."""
    path = Path(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    return path.rename(path.with_name(f'{path.stem}-{digest}{path.suffix}'))
