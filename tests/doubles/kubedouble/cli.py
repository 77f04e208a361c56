"""Command line and process lifecycle: arguments, TLS context, --config, port/token/kubeconfig files,
signals, --exit-with-parent."""

import argparse
import json
import os
import signal
import ssl
import sys
import tempfile
import threading

from . import control
from .auth import new_token
from .controller import Controller
from .server import DoubleServer, log


def _write_atomic(path, text, mode=0o644):
    fd, tmp = tempfile.mkstemp(prefix=".kube-double-", dir=os.path.dirname(os.path.abspath(path)))
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


def _ssl_context(args):
    if not args.tls_cert:
        if args.client_ca:
            sys.exit("kube-double: --client-ca needs --tls-cert and --tls-key")
        if not args.plain_http:
            sys.exit("kube-double: give --tls-cert/--tls-key (HTTPS), or --plain-http")
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.tls_cert, args.tls_key or args.tls_cert)
    ctx.set_alpn_protocols(["http/1.1"])
    if args.client_ca:
        ctx.verify_mode = ssl.CERT_OPTIONAL   # like the apiserver: a certificate is one way to authenticate
        ctx.load_verify_locations(cafile=args.client_ca)
    return ctx


def parse_args(argv):
    p = argparse.ArgumentParser(prog="kube_double.py", description="kube-apiserver test double")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="listen port; 0 = chosen by the kernel")
    p.add_argument("--port-file", help="write the actual port here (atomically) once listening")
    p.add_argument("--control-port-file", help="also serve /_double/ on a plain-HTTP port written here")
    p.add_argument("--tls-cert", help="PEM server certificate (HTTPS)")
    p.add_argument("--tls-key", help="PEM server key")
    p.add_argument("--client-ca", help="PEM CA bundle: client certificates signed by it authenticate (CN=user, O=groups)")
    p.add_argument("--plain-http", action="store_true", help="serve plain HTTP (no --tls-cert)")
    p.add_argument("--token", help="admin bearer token (default: $KUBE_DOUBLE_ADMIN_TOKEN, else generated)")
    p.add_argument("--token-file", help="write the admin token here (mode 0600)")
    p.add_argument("--kubeconfig", help="write a kubeconfig (JSON) for the admin token here (mode 0600)")
    p.add_argument("--ca-cert", help="CA to name in the --kubeconfig (else insecure-skip-tls-verify)")
    p.add_argument("--config", help="JSON file of control calls applied at start and after every reset")
    p.add_argument("--tick", type=float, default=0.02, help="controller tick in seconds (default 0.02)")
    p.add_argument("--quiet", action="store_true", help="no per-request log lines")
    p.add_argument("--exit-with-parent", action="store_true", help="stop when the parent process exits")
    return p.parse_args(argv)


CONFIG_CALLS = [("namespaces", "/_double/namespaces"), ("users", "/_double/users"), ("tokens", "/_double/tokens"),
                ("rules", "/_double/rules"), ("controller", "/_double/controller"), ("faults", "/_double/faults"),
                ("objects", "/_double/objects")]


def _apply_config(state, path):
    with open(path) as fh:
        cfg = json.load(fh)
    for key, endpoint in CONFIG_CALLS:
        items = cfg.get(key, [])
        for item in items if isinstance(items, list) else [items]:
            state.startup.append((endpoint, json.dumps(item).encode()))
    for endpoint, raw in state.startup:
        resp = control.handle(state, "POST", endpoint, {}, raw)
        if resp.status >= 300:
            sys.exit("kube-double: --config entry for %s failed: %s" % (endpoint, resp.body.decode()))


def _kubeconfig(url, token, ca):
    cluster = {"server": url}
    if ca:
        cluster["certificate-authority"] = os.path.abspath(ca)
    elif url.startswith("https"):
        cluster["insecure-skip-tls-verify"] = True
    return json.dumps({"apiVersion": "v1", "kind": "Config", "current-context": "double",
                       "clusters": [{"name": "double", "cluster": cluster}],
                       "users": [{"name": "admin", "user": {"token": token}}],
                       "contexts": [{"name": "double", "context": {"cluster": "double", "user": "admin",
                                                                    "namespace": "default"}}]}, indent=2) + "\n"


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from .state import State
    token = args.token or os.environ.get("KUBE_DOUBLE_ADMIN_TOKEN") or new_token()
    state = State(token)
    if args.config:
        _apply_config(state, args.config)
    stop = threading.Event()
    ctx = _ssl_context(args)
    servers = [DoubleServer((args.host, args.port), state, ctx, args.quiet, stop)]
    if args.control_port_file:
        servers.append(DoubleServer((args.host, 0), state, None, args.quiet, stop, control_only=True))
    scheme = "https" if ctx else "http"
    url = "%s://%s:%d" % (scheme, args.host, servers[0].server_address[1])
    if args.token_file:
        _write_atomic(args.token_file, token + "\n", 0o600)
    if args.kubeconfig:
        _write_atomic(args.kubeconfig, _kubeconfig(url, token, args.ca_cert), 0o600)

    def on_signal(signum, frame):
        stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for srv in servers:
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    Controller(state, stop, args.tick).start()
    written = []
    for srv, target in ((servers[0], args.port_file), (servers[-1], args.control_port_file)):
        if target:
            _write_atomic(target, "%d\n" % srv.server_address[1])
            written.append(target)
    log(servers[0], "listening on %s%s%s" % (url, " (client certificates accepted)" if args.client_ca else "",
                                             "; control on http://%s:%d" % (args.host, servers[-1].server_address[1])
                                             if len(servers) > 1 else ""))
    parent = os.getppid()
    while not stop.wait(0.2):
        if args.exit_with_parent and os.getppid() != parent:
            break
    stop.set()
    with state.cond:
        state.cond.notify_all()
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
