"""Process lifecycle shared by the doubles: common arguments, TLS context, atomic files, --config replay,
the listeners (main + optional plain-HTTP control port), SIGTERM/SIGINT, --exit-with-parent."""

import json
import os
import signal
import ssl
import sys
import tempfile
import threading

from .httpd import DoubleServer, log


def write_atomic(name, path, text, mode=0o644):
    fd, tmp = tempfile.mkstemp(prefix=".%s-" % name, dir=os.path.dirname(os.path.abspath(path)))
    try:
        os.fchmod(fd, mode)
        os.write(fd, text.encode())
        os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def add_listen_args(p, control_help, cert_help, client_ca_help):
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="listen port; 0 = chosen by the kernel")
    p.add_argument("--port-file", help="write the actual port here (atomically) once listening")
    p.add_argument("--control-port-file", help=control_help)
    p.add_argument("--tls-cert", help=cert_help)
    p.add_argument("--tls-key", help="PEM server key")
    p.add_argument("--client-ca", help=client_ca_help)


def add_process_args(p):
    p.add_argument("--quiet", action="store_true", help="no per-request log lines")
    p.add_argument("--exit-with-parent", action="store_true", help="stop when the parent process exits")
    p.add_argument("--nagle", action="store_true",
                   help="socket mode of Python's http.server: Nagle's algorithm on (no TCP_NODELAY) and headers "
                        "and body in separate writes (default: Go's net/http: TCP_NODELAY, one write)")


def ssl_context(name, args, verify_mode, alpn=None, plain_ok=True):
    if not args.tls_cert:
        if args.client_ca:
            sys.exit("%s: --client-ca needs --tls-cert and --tls-key" % name)
        if not plain_ok:
            sys.exit("%s: give --tls-cert/--tls-key (HTTPS), or --plain-http" % name)
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.tls_cert, args.tls_key or args.tls_cert)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if args.client_ca:
        ctx.verify_mode = verify_mode
        ctx.load_verify_locations(cafile=args.client_ca)
    return ctx


def apply_config(name, state, path, calls, handle, wrap_single=False):
    """Queue a --config file's entries as control POSTs (state.startup, replayed on reset) and apply them."""
    with open(path) as fh:
        cfg = json.load(fh)
    for key, endpoint in calls:
        items = cfg.get(key, [])
        for item in [items] if wrap_single and not isinstance(items, list) else items:
            state.startup.append((endpoint, json.dumps(item).encode()))
    for endpoint, raw in state.startup:
        resp = handle(state, "POST", endpoint, {}, raw)
        if resp.status >= 300:
            sys.exit("%s: --config entry for %s failed: %s" % (name, endpoint, resp.body.decode()))


def listen(name, handler, control, args, state, ssl_ctx, stop):
    """The main listener and, with --control-port-file, a plain-HTTP control-only one."""
    servers = [DoubleServer(name, handler, control, (args.host, args.port), state, ssl_ctx, args.quiet, stop,
                            nagle=getattr(args, "nagle", False))]
    if args.control_port_file:
        servers.append(DoubleServer(name, handler, control, (args.host, 0), state, None, args.quiet, stop,
                                    control_only=True))
    return servers


def serve(name, args, servers, stop, listening, on_started=None, on_stop=None):
    """Serve until SIGTERM/SIGINT (or the parent exits with --exit-with-parent); port files come and go."""
    def on_signal(signum, frame):
        stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for srv in servers:
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    if on_started:
        on_started()
    written = []
    for srv, target in ((servers[0], args.port_file), (servers[-1], args.control_port_file)):
        if target:
            write_atomic(name, target, "%d\n" % srv.server_address[1])
            written.append(target)
    log(servers[0], "listening on %s%s" % (listening, "; control on http://%s:%d" % (
        args.host, servers[-1].server_address[1]) if len(servers) > 1 else ""))
    parent = os.getppid()
    while not stop.wait(0.2):
        if args.exit_with_parent and os.getppid() != parent:
            break
    if on_stop:
        on_stop()
    for srv in servers:
        srv.shutdown()
        srv.server_close()
    for target in written:
        try:
            os.unlink(target)
        except OSError:
            pass
    log(servers[0], "stopped")
    return 0
