"""The B1 harness: the load generator keeps cookies; the data set gives the bench grid worker tasks."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.load import run_load


class _CookieServer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[str] = []

    def do_GET(self) -> None:
        cookie = self.headers.get("Cookie", "")
        type(self).seen.append(cookie)
        self.send_response(200)
        if "csrftoken=" not in cookie:
            self.send_header("Set-Cookie", "csrftoken=abc123; Path=/; SameSite=Lax")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def test_the_load_generator_keeps_cookies() -> None:
    _CookieServer.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CookieServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = run_load("127.0.0.1", server.server_address[1], "/", clients=2, seconds=0.3, cookie="linli_session=k1")
    finally:
        server.shutdown()
        server.server_close()
    assert result.errors == 0 and result.requests == len(_CookieServer.seen) > 4
    first_requests = [cookie for cookie in _CookieServer.seen if "csrftoken" not in cookie]
    assert first_requests == ["linli_session=k1", "linli_session=k1"]  # one per client, then kept
    assert all(cookie == "linli_session=k1; csrftoken=abc123" for cookie in _CookieServer.seen if "csrftoken" in cookie)


def test_the_data_set_leaves_twenty_pending_links_in_the_first_grid(db) -> None:  # type: ignore[no-untyped-def]
    from bench.dataset import PENDING_IN_FIRST_GRID, Scale, generate

    small = Scale("small", communities=1, grids_per_community=2)
    data = generate(small)
    first_grid = next(area for area in data["areas"] if area.kind == 4)
    pending = [link for link in data["links"] if link.status == "pending"]
    assert len(pending) == PENDING_IN_FIRST_GRID == 20
    assert all(link.area_path.startswith(first_grid.path) for link in pending)
    assert all(link.decided_at is None and link.method == "" for link in pending)
    assert {link.relation for link in data["links"]} == {"owner", "family", "tenant"}
