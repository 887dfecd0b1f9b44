"""The ``dqlite`` command line: options, then one of three paths.

* ``-c SQL`` or a positional COMMAND: run it and exit;
* standard input that is not a terminal: run it as a script;
* otherwise: the interactive REPL (``shell/repl.py``).

Exit status: 0 success, 1 an SQL or dot-command error, 2 a usage or
connection error (no server reachable, no leader within ``--timeout``,
libdqlite missing for a scratch node). The one-shot and script paths never
import prompt_toolkit or pygments, and the common command lines not even
click: :mod:`.quickargs` parses them, and everything else (``--help``,
``--version``, the rarer options, usage errors) goes to click's definition of
the command line in :mod:`.cli_options`.
"""

from __future__ import annotations

import os
import signal
import sys

from dqlite_shell.shell.errors import Failure

PROG = "dqlite"
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def __getattr__(name: str):
    # ``cli.command``, click's command (the man page test, completions/generate.py).
    if name == "command":
        from dqlite_shell.shell.cli_options import command
        return command
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def invoke(options: dict) -> None:
    """Run the command with parsed ``options`` (click's parameter names) and exit."""
    try:
        status = run(**options)
    except KeyboardInterrupt:  # before click, which would print an empty line
        status = 128 + signal.SIGINT
    sys.exit(status)


def run(database, command_arg, servers, command_opt, fmt, headers, timeout, bail,
        single_transaction, data_dir, scratch, cert, key, ca, profile=None, no_color=False,
        no_history=False, read_only=None, yes=False, audit_log=None, blob=None, ready=False,
        verbose=False, offline=()) -> int:
    """Everything after option parsing; returns the exit status."""
    from dqlite_shell.shell import config, startup
    from dqlite_shell.shell.state import DEFAULT_DATABASE

    cert, command_opt = startup.go_cert_option(command_opt, cert, key)
    if offline:
        startup.offline_conflicts(servers, scratch, data_dir, profile, ready)
    # Command line, then --profile, then DQLITE_SERVERS / DQLITE_DATABASE, then
    # the config file.
    try:
        cfg = config.load()
    except config.ConfigError as e:
        raise Failure(str(e)) from None
    chosen = None  # profiles.Resolved
    if profile:
        from dqlite_shell.shell import profiles
        chosen = profiles.resolve(profile, need_store=not servers, need_tls=not (cert or key))
        servers = servers or (chosen.servers,)
        database = database or chosen.database
    env_servers = os.environ.get("DQLITE_SERVERS")
    origin = "-s" if servers else "DQLITE_SERVERS" if env_servers else config.path()
    servers = servers or ((env_servers,) if env_servers else tuple(cfg.get("servers", ())))
    if servers and (scratch is not None or data_dir is not None):
        option = "--scratch" if scratch is not None else "--data-dir"
        raise Failure(f"{option} is for a local scratch node: it cannot be used with servers "
                      f"(given by {origin})")
    database = database or os.environ.get("DQLITE_DATABASE") or cfg.get("database")
    fmt = fmt or cfg.get("format")
    headers = cfg.get("headers") if headers is None else headers
    timeout = config.parse_timeout(cfg.get("timeout", 10.0)) if timeout is None else timeout
    profile_tls = chosen is not None and not (cert or key)
    if profile_tls:  # the profile's pair, never half of the config file's
        cert, key, ca = chosen.cert, chosen.key, ca
    else:
        cert, key, ca = cert or cfg.get("cert"), key or cfg.get("key"), ca or cfg.get("ca")
    no_color = no_color or not cfg.get("color", True)
    no_history = no_history or not cfg.get("history", True)
    read_only, read_only_source = _read_only(read_only, chosen, cfg)
    blob = blob or (chosen.profile.blob if chosen else None) or cfg.get("blob")
    audit_log = audit_log or (os.path.expanduser(cfg["audit_log"]) if cfg.get("audit_log")
                              else None)

    if command_arg is not None and command_opt:
        raise Failure("give the command either as an argument or with -c, not both")
    texts = list(command_opt) if command_opt else [] if command_arg is None else [command_arg]
    if verbose and not ready:
        raise Failure("-v/--verbose goes with --ready")
    if ready and texts:
        raise Failure("--ready runs no command: give it servers only")
    interactive = not texts and sys.stdin.isatty()
    settings = startup.settings(fmt, headers, bail, sys.stdout.isatty(), blob)
    if profile_tls and chosen.cert_pem:
        ssl_context = startup.tls_from_pem(chosen.cert_pem, chosen.key_pem, chosen.source, ca)
    else:
        ssl_context = startup.tls(cert, key, ca)
    addresses = [] if offline else startup.servers(servers)
    state = startup.make_state(addresses, database or DEFAULT_DATABASE, timeout=timeout,
                               ssl_context=ssl_context, settings=settings,
                               interactive=interactive)
    state.color, state.history = not no_color, not no_history
    state.settings.keys = cfg.get("keys", state.settings.keys)  # the REPL's
    state.settings.prompt = cfg.get("prompt")
    state.read_only, state.read_only_source = read_only, read_only_source
    state.confirm = interactive and not yes
    state.profile_name = chosen.profile.name if chosen else None
    try:
        if audit_log:
            from dqlite_shell.shell.audit import AuditLog
            state.audit = AuditLog(audit_log)
        if ready:
            if not addresses:
                raise Failure("--ready needs servers: -s ADDRS, DQLITE_SERVERS or the servers "
                              f"key of {config.path()}")
            from dqlite_shell.shell.commands.health import ready as cluster_ready
            return cluster_ready(state, verbose)
        if offline:
            startup.start_offline(state, list(offline))
        elif not addresses:
            startup.start_scratch(state, scratch or 1, data_dir)
        if interactive:
            from dqlite_shell.shell import repl, screen
            screen.configure(state.settings, cfg)  # the REPL's keys: scripts ignore them
            return repl.run(state)
        from dqlite_shell.shell import script
        if texts:
            names = ["<command>"] if len(texts) == 1 else [
                f"<command {i}>" for i in range(1, len(texts) + 1)]
            sources = [(script.command_text(t), n) for t, n in zip(texts, names)]
        else:
            sources = [(script.open_stdin(), "<stdin>")]
            state.stdin_is_script = True  # `.import -` must not read the script itself
        return startup.run_script(state, sources, single_transaction)
    finally:
        state.close()


def _read_only(option: bool | None, chosen, cfg: dict) -> tuple[bool, str]:
    """Read-only or not, and what said so: --read-only/--write, then the
    profile's default, then the read_only key."""
    if option is not None:
        return option, "--read-only"
    if chosen is not None:
        return chosen.profile.read_only, f"the {chosen.profile.name} profile's default"
    from dqlite_shell.shell import config
    return bool(cfg.get("read_only", False)), f"read_only in {config.path()}"


def _terminate(*_) -> None:
    from dqlite_shell.shell.script import Terminated
    raise Terminated(128 + signal.SIGTERM)


def main(argv=None) -> None:
    """Entry point of ``dqlite``."""
    # A SIGTERM unwinds like Ctrl-C, so scratch nodes are removed (and a
    # script says where it stopped).
    signal.signal(signal.SIGTERM, _terminate)
    try:
        from dqlite_shell.shell.quickargs import parse
        args = sys.argv[1:] if argv is None else list(argv)
        options = parse(args)
        if options is not None:
            invoke(options)
        _main_with_click(args)
    except Failure as e:
        _error(str(e))
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        # `dqlite ... | head`: the reader left; stop quietly, as sqlite3 does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_OK)


def _main_with_click(args: list[str]) -> None:
    """Parse ``args`` with click (what :mod:`.quickargs` leaves to it) and run."""
    import click

    from dqlite_shell.shell.cli_options import command
    from dqlite_shell.shell.startup import offline_dirs_argv
    try:
        command.main(args=offline_dirs_argv(args), prog_name=PROG, standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as e:
        click.echo(f"{PROG}: error: {e.format_message()}", err=True)
        sys.exit(EXIT_USAGE)


def _error(message: str) -> None:
    import click  # its echo, as for click's own errors (ANSI stripped off a terminal)
    click.echo(f"{PROG}: error: {message}", err=True)
