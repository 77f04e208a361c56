"""HTTP(S) front end: connection handling, TLS/mTLS, fault injection, request log, process lifecycle."""

import argparse
import json
import os
import signal
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import api, control
from .util import Resp, new_token

MAX_BODY = 32 * 1024 * 1024
MALFORMED = b'{"request_id":"00000000-0000-0000-0000-000000000000","data":{"data":{"swarm.key":"/key/swa'


def log(server, text):
    if not server.quiet:
        sys.stderr.write("vault-double: %s\n" % text)
        sys.stderr.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120

    def send_response(self, code, message=None):
        # like Vault (Go net/http): a Date header but no Server header
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def log_message(self, fmt, *args):  # the default logger would print request lines to stderr
        pass

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_LIST = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    # ------------------------------------------------------------------ plumbing
    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise OverflowError
        return self.rfile.read(length) if length else b""

    def _send(self, resp):
        self.send_response(resp.status)
        headers = {"Cache-Control": "no-store"}
        headers.update(resp.headers)
        body = resp.body if self.command != "HEAD" else None
        for name, value in headers.items():
            self.send_header(name, str(value))
        if resp.status != 204 and not (self.command == "HEAD" and resp.body is None):
            self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers_and_body(body)

    def end_headers_and_body(self, body):
        # one write for status line, headers and body: no Nagle/delayed-ACK stall between them
        self._headers_buffer.append(b"\r\n")
        if body:
            self._headers_buffer.append(body)
        self.flush_headers()
        self.wfile.flush()

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def _drop(self, reset):
        self.close_connection = True
        try:
            if reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _client_cert(self):
        getter = getattr(self.connection, "getpeercert", None)
        try:
            return bool(getter and getter())
        except ValueError:
            return False

    # ------------------------------------------------------------------ requests
    def _handle(self):
        srv = self.server
        state = srv.state
        started = time.monotonic()
        split = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(split.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(split.query, keep_blank_values=True).items()}
        try:
            raw = self._read_body()
        except (OverflowError, ValueError):
            self.close_connection = True
            self._send(Resp(413, b'{"errors":["http: request body too large"]}',
                            {"Content-Type": "application/json"}))
            return

        if path == "/_double" or path.startswith("/_double/"):
            resp = control.handle(state, self.command, path, query, raw)
            log(srv, "control %s %s -> %d" % (self.command, path, resp.status))
            self._send(resp)
            return
        if srv.control_only:
            self._send(Resp(404, b'{"errors":["control listener: only /_double/ is served here"]}',
                            {"Content-Type": "application/json"}))
            return

        hdrs = self.headers
        auth = "X-Vault-Token" if hdrs.get("X-Vault-Token") else (
            "Authorization" if (hdrs.get("Authorization") or "")[:7].lower() == "bearer " else None)
        entry = state.log_request({
            "method": self.command, "path": path, "query": query, "namespace": api.namespace_of(hdrs),
            "auth": auth, "x_vault_request": bool(hdrs.get("X-Vault-Request")),
            "content_type": hdrs.get("Content-Type"), "client_cert": self._client_cert(),
            "status": None, "fault": None, "outcome": "pending"})
        fault = state.take_fault(self.command, path, split.query, entry["namespace"])
        resp = None
        if fault is not None:
            entry["fault"] = fault.id
            if fault.delay_ms and srv.stop_event.wait(fault.delay_ms / 1000.0):
                self._drop(False)
                entry["outcome"] = "shutdown"
                return
            if fault.action in ("drop", "reset"):
                entry["outcome"] = "dropped"
                log(srv, "%s %s -> connection %s (fault %d)" % (self.command, path, fault.action, fault.id))
                self._drop(fault.action == "reset")
                return
            if fault.action == "malformed":
                body = fault.body.encode() if isinstance(fault.body, str) else MALFORMED
                resp = Resp(fault.status, body, {"Content-Type": "application/json"})
            elif fault.action == "respond":
                resp = _fault_response(fault)
        if resp is None:
            if path.startswith("/v1/"):
                try:
                    with state.lock:
                        resp = api.dispatch(state, self.command, path[4:], query, raw, hdrs)
                except Exception as exc:  # a bug in the double must still answer like Vault would
                    log(srv, "internal error on %s %s: %s" % (self.command, path, type(exc).__name__))
                    resp = Resp(500, b'{"errors":["internal error"]}', {"Content-Type": "application/json"})
            else:
                resp = Resp(404, b"404 page not found\n", {"Content-Type": "text/plain; charset=utf-8"})
        entry["status"] = resp.status
        entry["outcome"] = "answered"
        entry["duration_ms"] = int((time.monotonic() - started) * 1000)
        log(srv, "%s %s -> %d%s" % (self.command, path, resp.status,
                                     " (fault %d)" % fault.id if fault is not None else ""))
        try:
            self._send(resp)
        except OSError:
            entry["outcome"] = "client gone"
            self.close_connection = True


def _fault_response(fault):
    headers = dict(fault.headers)
    if isinstance(fault.body, (dict, list)):
        body = json.dumps(fault.body).encode()
    elif isinstance(fault.body, str):
        body = fault.body.encode()
    else:
        body = None
    if body is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    return Resp(fault.status, body, headers)


class DoubleServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, state, ssl_ctx, quiet, stop_event, control_only=False):
        self.state = state
        self.ssl_ctx = ssl_ctx
        self.quiet = quiet
        self.stop_event = stop_event
        self.control_only = control_only
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        if self.ssl_ctx is None:
            self.RequestHandlerClass(request, client_address, self)
            return
        request.settimeout(10)
        try:
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log(self, "TLS handshake from %s failed: %s" % (client_address[0], getattr(exc, "reason", None) or exc))
            return
        tls.settimeout(Handler.timeout)
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        log(self, "connection from %s ended with %s" % (client_address[0], sys.exc_info()[0].__name__))


def _write_atomic(path, text, mode=0o644):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".vault-double-", dir=directory)
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
            sys.exit("vault-double: --client-ca needs --tls-cert and --tls-key")
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.tls_cert, args.tls_key or args.tls_cert)
    if args.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=args.client_ca)
    return ctx


def parse_args(argv):
    p = argparse.ArgumentParser(prog="vault_double.py", description="HashiCorp Vault test double")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="listen port; 0 = chosen by the kernel")
    p.add_argument("--port-file", help="write the actual port here (atomically) once listening")
    p.add_argument("--control-port-file",
                   help="also serve /_double/ on a second, plain-HTTP port written here (handy with mTLS)")
    p.add_argument("--tls-cert", help="PEM server certificate (enables HTTPS)")
    p.add_argument("--tls-key", help="PEM server key")
    p.add_argument("--client-ca", help="PEM CA bundle; client certificates become mandatory (mTLS)")
    p.add_argument("--root-token", help="root token (default: $VAULT_DOUBLE_ROOT_TOKEN, else generated)")
    p.add_argument("--token-file", help="write the root token here (mode 0600)")
    p.add_argument("--config", help="JSON file of control calls to apply at start: "
                                    '{"policies":[...], "approle":[...], "kubernetes":[...], "mounts":[...]}')
    p.add_argument("--quiet", action="store_true", help="no per-request log lines")
    p.add_argument("--exit-with-parent", action="store_true", help="stop when the parent process exits")
    return p.parse_args(argv)


def _apply_config(state, path):
    """Apply a --config file; POST /_double/reset re-applies it (state.startup)."""
    with open(path) as fh:
        cfg = json.load(fh)
    calls = [("policies", "/_double/policies"), ("mounts", "/_double/mounts"),
             ("approle", "/_double/approle/roles"), ("kubernetes", "/_double/kubernetes/roles")]
    for key, endpoint in calls:
        for item in cfg.get(key, []):
            state.startup.append((endpoint, json.dumps(item).encode()))
    for endpoint, raw in state.startup:
        resp = control.handle(state, "POST", endpoint, {}, raw)
        if resp.status >= 300:
            sys.exit("vault-double: --config entry for %s failed: %s" % (endpoint, resp.body.decode()))


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from .state import State
    root = args.root_token or os.environ.get("VAULT_DOUBLE_ROOT_TOKEN") or new_token()
    state = State(root)
    if args.config:
        _apply_config(state, args.config)
    stop = threading.Event()
    servers = [DoubleServer((args.host, args.port), state, _ssl_context(args), args.quiet, stop)]
    if args.control_port_file:
        servers.append(DoubleServer((args.host, 0), state, None, args.quiet, stop, control_only=True))
    if args.token_file:
        _write_atomic(args.token_file, root + "\n", 0o600)
    elif not (args.root_token or os.environ.get("VAULT_DOUBLE_ROOT_TOKEN")):
        log(servers[0], "root token generated but not written (no --token-file); create tokens via /_double/tokens")

    def on_signal(signum, frame):
        stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for srv in servers:
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    written = []
    for srv, target in ((servers[0], args.port_file), (servers[-1], args.control_port_file)):
        if target:
            _write_atomic(target, "%d\n" % srv.server_address[1])
            written.append(target)
    scheme = "https" if servers[0].ssl_ctx else "http"
    log(servers[0], "listening on %s://%s:%d%s%s" % (
        scheme, args.host, servers[0].server_address[1], " (mTLS)" if args.client_ca else "",
        "; control on http://%s:%d" % (args.host, servers[-1].server_address[1]) if len(servers) > 1 else ""))
    parent = os.getppid()
    while not stop.wait(0.2):
        if args.exit_with_parent and os.getppid() != parent:
            break
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
