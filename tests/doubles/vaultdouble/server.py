"""HTTP(S) front end: Vault's answers on the shared doublekit plumbing (listeners, TLS/mTLS, fault
injection, request log, process lifecycle)."""

import argparse
import os
import ssl
import sys
import threading

from doublekit import httpd, process

from . import api, control
from .util import Resp, new_token

NAME = "vault-double"
MAX_BODY = 32 * 1024 * 1024
MALFORMED = b'{"request_id":"00000000-0000-0000-0000-000000000000","data":{"data":{"swarm.key":"/key/swa'


def log(server, text):
    httpd.log(server, text)


class Handler(httpd.Handler):
    timeout = 120
    max_body = MAX_BODY
    cache_control = "no-store"
    malformed = MALFORMED
    resp_cls = Resp

    do_LIST = httpd.Handler.do_GET

    def content_length(self, resp, body):
        if resp.status == 204 or (self.command == "HEAD" and resp.body is None):
            return None
        return len(body or b"")

    def too_large(self):
        return Resp(413, b'{"errors":["http: request body too large"]}', {"Content-Type": "application/json"})

    def not_control(self):
        return Resp(404, b'{"errors":["control listener: only /_double/ is served here"]}',
                    {"Content-Type": "application/json"})

    def begin(self, path, query, raw):
        hdrs = self.headers
        auth = "X-Vault-Token" if hdrs.get("X-Vault-Token") else (
            "Authorization" if (hdrs.get("Authorization") or "")[:7].lower() == "bearer " else None)
        entry = self.server.state.log_request({
            "method": self.command, "path": path, "query": query, "namespace": api.namespace_of(hdrs),
            "auth": auth, "x_vault_request": bool(hdrs.get("X-Vault-Request")),
            "content_type": hdrs.get("Content-Type"), "client_cert": bool(self._peer_cert()),
            "status": None, "fault": None, "outcome": "pending"})
        return entry, entry["namespace"], None

    def answer(self, path, query, raw, ctx):
        srv = self.server
        if not path.startswith("/v1/"):
            return Resp(404, b"404 page not found\n", {"Content-Type": "text/plain; charset=utf-8"})
        try:
            with srv.state.lock:
                return api.dispatch(srv.state, self.command, path[4:], query, raw, self.headers)
        except Exception as exc:  # a bug in the double must still answer like Vault would
            log(srv, "internal error on %s %s: %s" % (self.command, path, type(exc).__name__))
            return Resp(500, b'{"errors":["internal error"]}', {"Content-Type": "application/json"})


def parse_args(argv):
    p = argparse.ArgumentParser(prog="vault_double.py", description="HashiCorp Vault test double")
    process.add_listen_args(
        p, "also serve /_double/ on a second, plain-HTTP port written here (handy with mTLS)",
        "PEM server certificate (enables HTTPS)", "PEM CA bundle; client certificates become mandatory (mTLS)")
    p.add_argument("--root-token", help="root token (default: $VAULT_DOUBLE_ROOT_TOKEN, else generated)")
    p.add_argument("--token-file", help="write the root token here (mode 0600)")
    p.add_argument("--config", help="JSON file of control calls to apply at start: "
                                    '{"policies":[...], "approle":[...], "kubernetes":[...], "mounts":[...]}')
    process.add_process_args(p)
    return p.parse_args(argv)


CONFIG_CALLS = [("policies", "/_double/policies"), ("mounts", "/_double/mounts"),
                ("approle", "/_double/approle/roles"), ("kubernetes", "/_double/kubernetes/roles")]


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from .state import State
    root = args.root_token or os.environ.get("VAULT_DOUBLE_ROOT_TOKEN") or new_token()
    state = State(root)
    if args.config:  # POST /_double/reset re-applies it (state.startup)
        process.apply_config(NAME, state, args.config, CONFIG_CALLS, control.handle)
    stop = threading.Event()
    ctx = process.ssl_context(NAME, args, ssl.CERT_REQUIRED)
    servers = process.listen(NAME, Handler, control.handle, args, state, ctx, stop)
    if args.token_file:
        process.write_atomic(NAME, args.token_file, root + "\n", 0o600)
    elif not (args.root_token or os.environ.get("VAULT_DOUBLE_ROOT_TOKEN")):
        log(servers[0], "root token generated but not written (no --token-file); create tokens via /_double/tokens")
    listening = "%s://%s:%d%s" % ("https" if ctx else "http", args.host, servers[0].server_address[1],
                                  " (mTLS)" if args.client_ca else "")
    return process.serve(NAME, args, servers, stop, listening)
