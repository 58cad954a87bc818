"""``probmodel explore RUN``: the what-if web app on a saved run."""

from __future__ import annotations

import sys
from pathlib import Path

from probmodel.cli.common import Parents, flag_diagnostics, int_in

PORT = int_in(1, 65535)


def register(sub, p: Parents) -> None:
    """Add this module's command to the ``probmodel`` parser."""
    s = sub.add_parser(
        "explore",
        help="a local what-if web app on a saved run: plan sliders, prior and evidence what-ifs "
        "(Pareto-smoothed importance reweighting), side by side, save",
        description="Start a web app on 127.0.0.1 that scores any plan on the run's posterior "
        "draws as you move the sliders, moves a prior or switches evidence off by importance "
        "reweighting (k-hat shown; re-sample in the background when it is above 0.7), compares "
        "two plans on paired draws and saves the plan as a scenario file. Stop it with Ctrl-C.",
    )
    s.add_argument("run", type=Path, help="a saved run (.nc)")
    s.add_argument("--port", type=PORT, default=0, help="port to listen on (default: a free one)")
    s.add_argument("--no-open", action="store_true", help="do not open a browser")
    s.set_defaults(handler=cmd_explore)


def cmd_explore(args) -> int:
    """Load and check the run (a damaged one is refused with exit code 3 before any server
    starts), bind 127.0.0.1, print the address, open a browser, serve until Ctrl-C."""
    import probmodel as pmod

    run = pmod.load_run(args.run)
    flag_diagnostics(run)
    from probmodel.errors import InvalidArgumentError
    from probmodel.explore import ExploreOptions, bind, create_app, serve

    try:
        sock = bind(args.port)
    except OSError as err:
        raise InvalidArgumentError(
            f"--port {args.port}: cannot listen on 127.0.0.1:{args.port} ({err.strerror}); "
            "choose another port or leave --port out for a free one."
        ) from None
    app = create_app(run, ExploreOptions(save_dir=Path(args.run).resolve().parent))

    def ready(url: str) -> None:
        print(f"probmodel explore: {run.name} at {url}  (Ctrl-C to stop)", flush=True)
        if not args.no_open:
            import webbrowser

            try:
                webbrowser.open(url)
            except Exception:  # noqa: BLE001 - no browser here is fine: the address is printed
                pass

    try:
        serve(app, sock, ready)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print("probmodel explore: stopped.", file=sys.stderr)
    return 0
