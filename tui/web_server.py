"""textual-serve's server behind dictgame's gate: the token beyond loopback, and the origin
and Host checks (tui/serve.py says why each)."""

from __future__ import annotations

import asyncio
import errno
import secrets
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.server import Server, to_int

from .serve import LOOPBACK_NAMES

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ServeError(Exception):
    """The server could not start where it was asked to (a port in use, an unknown host)."""


class BrowserServer(Server):
    """textual-serve's server behind the token and origin checks; its page names the address
    the browser used (textual-serve's names the bind address, useless from afar for 0.0.0.0)."""

    def __init__(self, command: str, host: str, port: int, token: str | None) -> None:
        super().__init__(command, host=host, port=port, title="dictgame")
        self.token = token

    def web_app(self) -> web.Application:
        app = web.Application(middlewares=[self.gate])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.get("/ws", self.handle_websocket, name="websocket"),
            web.get("/download/{key}", self.handle_download, name="download"),
            web.static("/static", self.statics_path, name="static"),
        ])
        return app

    @web.middleware
    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.token is None and request.url.host not in LOOPBACK_NAMES:
            raise web.HTTPForbidden(text="dictgame: this server answers to a loopback name only")
        origin = request.headers.get("Origin")
        if request.path == "/ws" and origin not in (None, f"{request.scheme}://{request.host}"):
            raise web.HTTPForbidden(text="dictgame: the app opens from this server's own page")
        if self.token is None:
            return await handler(request)
        # Browsers keep cookies per host, not per port: each server its own cookie.
        cookie = f"dictgame_token_{request.url.port}"
        given = request.query.get("token") or request.cookies.get(cookie, "")
        if not secrets.compare_digest(given.encode(), self.token.encode()):
            raise web.HTTPForbidden(
                text="dictgame: this server needs its token: open the address serve printed"
            )
        response = await handler(request)
        if "token" in request.query and not response.prepared:
            response.set_cookie(cookie, self.token, httponly=True, samesite="Strict")
        return response

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        page = f"{request.scheme}://{request.host}"
        return {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"ws{page.removeprefix('http')}/ws",
            "config": {"static": {"url": f"{page}/static/"}},
            "application": {"name": self.title},
        }

    async def run(self) -> None:
        """Serve until stopped (Ctrl+C, SIGTERM); prints the address to open once bound."""
        runner = web.AppRunner(self.web_app(), handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError as error:
            await runner.cleanup()
            reason = "in use" if error.errno == errno.EADDRINUSE else error.strerror or error
            raise ServeError(f"cannot serve on {self.host} port {self.port}: {reason}") from error
        try:
            print(f"Serving dictgame on {self.address(runner.addresses[0][1])}", flush=True)
            print("Each browser session is a game app of its own; Ctrl+C stops them all.",
                  flush=True)
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    def address(self, port: int) -> str:
        """The address to open: the bound port, a name others can use for a wildcard bind,
        and the token where one is needed."""
        host = self.host.strip("[]")
        if host in ("0.0.0.0", "::"):
            host = socket.gethostname()
        elif ":" in host:
            host = f"[{host}]"
        query = f"?token={self.token}" if self.token else ""
        return f"http://{host}:{port}/{query}"
