"""``probmodel explore RUN``: a local what-if web app on a fitted run (Shiny for Python).

:func:`create_app` builds the app on a loaded run; :func:`serve` runs it on 127.0.0.1 (a free
port unless one is given). Everything the page computes comes from
:mod:`probmodel.analysis.whatif`; this package is layout and wiring.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from probmodel.explore.app import ExploreOptions, create_app

HOST = "127.0.0.1"
"""Only this machine can reach the app: it serves a run's draws and can start a re-sample."""

__all__ = ["HOST", "ExploreOptions", "create_app", "bind", "serve", "server_for"]


def bind(port: int = 0) -> socket.socket:
    """A listening socket on :data:`HOST` (``port`` 0: a free one, chosen by the system).

    Binding before the server starts means the printed address is the one served, with no
    window for another process to take the port.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def server_for(app, sock: socket.socket):
    """A uvicorn server for ``app`` on ``sock`` (call ``.run(sockets=[sock])``; set
    ``.should_exit = True`` to stop it)."""
    import uvicorn

    config = uvicorn.Config(app, host=HOST, port=sock.getsockname()[1], log_level="warning")
    return uvicorn.Server(config)


def serve(app, sock: socket.socket, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve ``app`` on ``sock`` until interrupted; ``on_ready(url)`` is called first."""
    server = server_for(app, sock)
    url = f"http://{HOST}:{sock.getsockname()[1]}/"
    if on_ready is not None:
        on_ready(url)
    server.run(sockets=[sock])
