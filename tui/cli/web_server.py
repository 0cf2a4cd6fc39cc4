"""textual-serve's server behind dictgame's gate: the token beyond loopback, and the origin
and Host checks (tui/cli/serve.py says why each); and each browser session's app told which
session it serves, from a cookie of the session's own."""

from __future__ import annotations

import asyncio
import errno
import re
import secrets
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, log, to_int

from ..services.loopback import LOOPBACK_NAMES

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# A session cookie as the server makes them (token_urlsafe(18)).
SESSION = re.compile(r"[A-Za-z0-9_-]{24}")


class SessionService(AppService):
    """A browser session's app: its environment names the session (DICTGAME_SESSION), and
    whether sessions share their games (DICTGAME_SHARED), as tui/services/locations.py reads them."""

    def __init__(self, command: str, session: str, share: bool, **kwargs: Any) -> None:
        super().__init__(command, **kwargs)
        self.session, self.share = session, share

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        environment["DICTGAME_SESSION"] = self.session
        environment["DICTGAME_SHARED"] = "1" if self.share else "0"
        return environment


class ServeError(Exception):
    """The server could not start where it was asked to (a port in use, an unknown host)."""


class BrowserServer(Server):
    """textual-serve's server behind the token and origin checks; its page names the address
    the browser used (textual-serve's names the bind address, useless from afar for 0.0.0.0)."""

    def __init__(
        self, command: str, host: str, port: int, token: str | None, share: bool = False
    ) -> None:
        super().__init__(command, host=host, port=port, title="dictgame")
        self.token = token
        self.share = share

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

    @staticmethod
    def session_cookie(request: web.Request) -> str:
        # Per port, as the token's: two servers on one host are two studies.
        return f"dictgame_session_{request.url.port}"

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page, and the browser's session: a cookie of its own, made on its first visit,
        that every app it opens is told (its games, its form's memory)."""
        response = await self.index_page(request)
        name = self.session_cookie(request)
        if not SESSION.fullmatch(request.cookies.get(name, "")):
            response.set_cookie(name, secrets.token_urlsafe(18), httponly=True, samesite="Strict")
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's websocket handler, but the app it starts is told its session (a
        websocket without the page's cookie gets a session of its own, seeing nothing)."""
        session = request.cookies.get(self.session_cookie(request), "")
        if not SESSION.fullmatch(session):
            session = secrets.token_urlsafe(18)
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service: AppService | None = None
        try:
            await websocket.prepare(request)
            service = SessionService(
                self.command, session, self.share, write_bytes=websocket.send_bytes,
                write_str=websocket.send_str, close=websocket.close,
                download_manager=self.download_manager, debug=self.debug,
            )
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:
            log.exception(error)
        finally:
            if service is not None:
                await service.stop()
        return websocket

    @aiohttp_jinja2.template("app_index.html")
    async def index_page(self, request: web.Request) -> dict[str, Any]:
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
            seen = ("every saved game (--share)" if self.share
                    else "only the games it started; dictgame list shows them all")
            print(f"Each browser session sees {seen}.", flush=True)
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
