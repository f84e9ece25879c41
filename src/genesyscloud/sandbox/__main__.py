"""``python -m genesyscloud.sandbox serve --host 127.0.0.1 --port 8642 --client-id ID
--client-secret SECRET [--token-ttl SECONDS] [--rate-limit N] [--rate-limit-window SECONDS] [--seed N]
[--heartbeat-interval SECONDS]``

Without the ``sandbox`` extra it prints one line naming it
(``pip install 'genesyscloud[sandbox]'``) and exits with status 2."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m genesyscloud.sandbox",
                                     description="Run a local Genesys Cloud sandbox org.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the sandbox until SIGINT/SIGTERM")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8642, help="TCP port (default 8642; 0 = any free port)")
    serve.add_argument("--client-id", required=True, help="OAuth client id accepted by /oauth/token")
    serve.add_argument("--client-secret", required=True, help="its secret")
    serve.add_argument("--token-ttl", type=int, default=None, help="token lifetime in seconds (default 86400)")
    serve.add_argument("--rate-limit", type=int, default=None, help="requests per window per token (default: none)")
    serve.add_argument("--rate-limit-window", type=float, default=60.0, help="rate-limit window, seconds (default 60)")
    serve.add_argument("--user-rate-limit", type=int, default=None, help="requests per window per user (default: none)")
    serve.add_argument("--token-rate-limit", type=int, default=None,
                       help="token requests per window per OAuth client (default: none)")
    serve.add_argument("--seed", type=int, default=1, help="seed of the generated org (default 1)")
    serve.add_argument("--heartbeat-interval", type=float, default=30.0,
                       help="seconds between notification socket heartbeats (default 30)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ._requires import SandboxExtraMissing, require_sandbox_extra

    try:
        require_sandbox_extra()
    except SandboxExtraMissing as exc:
        sys.stderr.write(f"{exc}\n")  # one line, no traceback
        return 2
    from ._runner import serve

    try:
        serve(args.host, args.port, client_id=args.client_id, client_secret=args.client_secret, seed=args.seed,
              token_ttl=args.token_ttl, rate_limit=args.rate_limit, rate_limit_window=args.rate_limit_window,
              user_rate_limit=args.user_rate_limit, token_rate_limit=args.token_rate_limit,
              heartbeat_interval=args.heartbeat_interval)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
