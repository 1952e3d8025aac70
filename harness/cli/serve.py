"""`harness app`: serve the Streamlit app."""

import os
from typing import Annotated

import typer

from core.errors import HarnessError
from harness.cli.common import Db, fail


def app_command(
    db: Db = None,
    port: Annotated[int, typer.Option(help="Port to serve on.", min=1, max=65535)] = 8501,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
) -> None:
    """Serve the leaderboard app (Streamlit): leaderboard, languages, checkpoints, compare, run."""
    import sys
    from pathlib import Path

    try:
        import streamlit  # noqa: F401
    except ImportError:
        fail(HarnessError("the app needs Streamlit: pip install 'polyglot-harness[app]'"))
    main_script = Path(__file__).resolve().parents[2] / "app" / "main.py"  # app/, beside harness/
    env = os.environ.copy()
    if db:
        env["HARNESS_DB"] = db
    argv = [sys.executable, "-m", "streamlit", "run", str(main_script)]
    argv += ["--server.port", str(port), "--server.address", host, "--server.headless", "true"]
    argv += ["--browser.gatherUsageStats", "false"]
    argv += ["--client.toolbarMode", "viewer"]  # no developer toolbar ("Deploy") for viewers
    # Replace this process: stopping `harness app` stops the server.
    os.execve(sys.executable, argv, env)
