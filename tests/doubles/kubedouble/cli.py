"""Command line and process lifecycle: arguments, TLS context, --config, port/token/kubeconfig files,
signals, --exit-with-parent."""

import argparse
import json
import os
import ssl
import sys
import threading

from doublekit import process

from . import control
from .auth import new_token
from .controller import Controller
from .server import NAME, Handler


def parse_args(argv):
    p = argparse.ArgumentParser(prog="kube_double.py", description="kube-apiserver test double")
    process.add_listen_args(p, "also serve /_double/ on a plain-HTTP port written here", "PEM server certificate (HTTPS)",
                            "PEM CA bundle: client certificates signed by it authenticate (CN=user, O=groups)")
    p.add_argument("--plain-http", action="store_true", help="serve plain HTTP (no --tls-cert)")
    p.add_argument("--token", help="admin bearer token (default: $KUBE_DOUBLE_ADMIN_TOKEN, else generated)")
    p.add_argument("--token-file", help="write the admin token here (mode 0600)")
    p.add_argument("--kubeconfig", help="write a kubeconfig (JSON) for the admin token here (mode 0600)")
    p.add_argument("--ca-cert", help="CA to name in the --kubeconfig (else insecure-skip-tls-verify)")
    p.add_argument("--config", help="JSON file of control calls applied at start and after every reset")
    p.add_argument("--tick", type=float, default=0.02, help="controller tick in seconds (default 0.02)")
    process.add_process_args(p)
    return p.parse_args(argv)


CONFIG_CALLS = [("namespaces", "/_double/namespaces"), ("users", "/_double/users"), ("tokens", "/_double/tokens"),
                ("rules", "/_double/rules"), ("controller", "/_double/controller"), ("faults", "/_double/faults"),
                ("objects", "/_double/objects")]


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
        process.apply_config(NAME, state, args.config, CONFIG_CALLS, control.handle, wrap_single=True)
    stop = threading.Event()
    # like the apiserver: a client certificate is one way to authenticate, not a requirement
    ctx = process.ssl_context(NAME, args, ssl.CERT_OPTIONAL, alpn=["http/1.1"], plain_ok=args.plain_http)
    servers = process.listen(NAME, Handler, control.handle, args, state, ctx, stop)
    url = "%s://%s:%d" % ("https" if ctx else "http", args.host, servers[0].server_address[1])
    if args.token_file:
        process.write_atomic(NAME, args.token_file, token + "\n", 0o600)
    if args.kubeconfig:
        process.write_atomic(NAME, args.kubeconfig, _kubeconfig(url, token, args.ca_cert), 0o600)

    def on_stop():
        stop.set()
        with state.cond:
            state.cond.notify_all()
    return process.serve(NAME, args, servers, stop, url + (" (client certificates accepted)" if args.client_ca else ""),
                         on_started=Controller(state, stop, args.tick).start, on_stop=on_stop)
