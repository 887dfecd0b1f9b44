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

import gc
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


def invoke(options: dict, layers=None) -> None:
    """Run the command with parsed ``options`` (click's parameter names, the
    environment and the config file's values filled in: ``layers`` says
    where each came from, a :class:`.config.Layers`) and exit."""
    try:
        status = run(**options, layers=layers)
    except KeyboardInterrupt:  # before click, which would print an empty line
        status = 128 + signal.SIGINT
    sys.exit(status)


def run(database, command_arg, servers, command_opt, fmt, headers, timeout, bail,
        single_transaction, data_dir, scratch, cert, key, ca, profile=None, no_color=False,
        no_history=False, read_only=None, yes=False, audit_log=None, blob=None, ready=False,
        verbose=False, offline=(), layers=None) -> int:
    """Everything after option parsing; returns the exit status.

    The values come layered (config < environment < option, :data:`.config.LAYERS`);
    ``--profile`` goes between the options and the layers below them.
    """
    from dqlite_shell.shell import config, startup
    from dqlite_shell.shell.state import DEFAULT_DATABASE

    layers = layers if layers is not None else config.Layers({}, {})
    given = layers.given
    cert_given, command_opt = startup.go_cert_option(
        command_opt, cert if given("cert") else None, key if given("key") else None)
    key_given = key if given("key") else None
    if offline:
        startup.offline_conflicts(servers if given("servers") else (), scratch, data_dir,
                                  profile, ready)
    if layers.problem is not None:
        raise Failure(str(layers.problem))
    cfg = layers.cfg
    chosen = None  # profiles.Resolved
    origin = {config.OPTION: "-s", config.ENVIRONMENT: "DQLITE_SERVERS"}.get(
        layers.sources.get("servers"), config.path())
    if profile:
        from dqlite_shell.shell import profiles
        chosen = profiles.resolve(profile, need_store=not given("servers"),
                                  need_tls=not (cert_given or key_given))
        if not given("servers") and chosen.servers:
            servers, origin = (chosen.servers,), f"--profile {profile}"
        if not given("database") and chosen.database:
            database = chosen.database
    if servers and (scratch is not None or data_dir is not None):
        option = "--scratch" if scratch is not None else "--data-dir"
        raise Failure(f"{option} is for a local scratch node: it cannot be used with servers "
                      f"(given by {origin})")
    timeout = 10.0 if timeout is None else timeout
    # The profile whose certificate is used: the profile's pair, never half
    # of the config file's.
    tls_profile = chosen if not (cert_given or key_given) else None
    if tls_profile is not None:
        cert, key, ca = tls_profile.cert, tls_profile.key, ca if given("ca") else None
    else:
        cert = cert_given or cert
    read_only, read_only_source = _read_only(read_only, chosen, layers)
    if chosen and not given("blob"):
        blob = chosen.profile.blob or blob

    if command_arg is not None and command_opt:
        raise Failure("give the command either as an argument or with -c, not both")
    texts = list(command_opt) if command_opt else [] if command_arg is None else [command_arg]
    if verbose and not ready:
        raise Failure("-v/--verbose goes with --ready")
    if ready and texts:
        raise Failure("--ready runs no command: give it servers only")
    interactive = not texts and sys.stdin.isatty()
    settings = startup.settings(fmt, headers, bail, sys.stdout.isatty(), blob)
    if tls_profile is not None and tls_profile.cert_pem:
        pem, key_pem, source = tls_profile.cert_pem, tls_profile.key_pem, tls_profile.source
        assert key_pem is not None and source is not None  # set with cert_pem
        ssl_context = startup.tls_from_pem(pem, key_pem, source, ca)
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
        if ready or offline or not addresses:
            _collect_from_here()  # what follows runs long: waits, or starts nodes
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
            _collect_from_here()
            screen.configure(state.settings, cfg)  # the REPL's keys: scripts ignore them
            return repl.run(state)
        from dqlite_shell.shell import script
        _collect_from_here()
        if texts:
            names = ["<command>"] if len(texts) == 1 else [
                f"<command {i}>" for i in range(1, len(texts) + 1)]
            sources = [(script.command_text(t), n) for t, n in zip(texts, names, strict=True)]
        else:
            sources = [(script.open_stdin(), "<stdin>")]
            state.stdin_is_script = True  # `.import -` must not read the script itself
        return startup.run_script(state, sources, single_transaction)
    finally:
        state.close()


def _read_only(value: bool | None, chosen, layers) -> tuple[bool, str]:
    """Read-only or not, and what said so: --read-only/--write, then the
    profile's default, then the read_only key."""
    if layers.given("read_only"):
        return bool(value), "--read-only"
    if chosen is not None:
        return chosen.profile.read_only, f"the {chosen.profile.name} profile's default"
    from dqlite_shell.shell import config
    return bool(value), f"read_only in {config.path()}"


def _terminate(*_) -> None:
    from dqlite_shell.shell.script import Terminated
    raise Terminated(128 + signal.SIGTERM)


def _collect_from_here() -> None:
    """Start the garbage collector that :func:`main` stopped, once start-up
    has made what lives as long as the process (modules, classes, the
    session): those are frozen out of its reach. (It would walk them over and
    over as they are made: ~4 ms of a one-shot, 10-20 ms of the REPL's start
    with prompt_toolkit's modules.) Nothing when it runs."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def main(argv=None) -> None:
    """Entry point of ``dqlite``."""
    gc.disable()  # until start-up is done: see _collect_from_here
    # A SIGTERM unwinds like Ctrl-C, so scratch nodes are removed (and a
    # script says where it stopped).
    signal.signal(signal.SIGTERM, _terminate)
    try:
        from dqlite_shell.shell import config
        from dqlite_shell.shell.quickargs import parse_given
        args = sys.argv[1:] if argv is None else list(argv)
        cfg, problem = config.load_layers()
        parsed = parse_given(args)
        if parsed is not None:
            options, given = parsed
            sources = config.layer(options, given, cfg, os.environ)
            invoke(options, config.Layers(cfg, sources, problem))
        _main_with_click(args, cfg, problem)
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
    finally:
        _collect_from_here()  # an early exit, or a caller in-process (tests) going on
    sys.exit(EXIT_OK)


def _main_with_click(args: list[str], cfg: dict, problem: Exception | None) -> None:
    """Parse ``args`` with click (what :mod:`.quickargs` leaves to it) and run:
    the config file's values are click's ``default_map``."""
    import click

    from dqlite_shell.shell import config
    from dqlite_shell.shell.cli_options import command
    from dqlite_shell.shell.startup import offline_dirs_argv
    try:
        command.main(args=offline_dirs_argv(args), prog_name=PROG, standalone_mode=False,
                     default_map=config.default_map(cfg), obj=(cfg, problem))
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as e:
        click.echo(f"{PROG}: error: {e.format_message()}", err=True)
        sys.exit(EXIT_USAGE)


def _error(message: str) -> None:
    import click  # its echo, as for click's own errors (ANSI stripped off a terminal)
    click.echo(f"{PROG}: error: {message}", err=True)
