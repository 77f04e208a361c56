"""HTTP(S) front end: TLS and client certificates, authentication, fault injection, request log, watch
streaming (chunked). The command line and process lifecycle are in cli.py."""

import json
import select
import socket
import ssl
import struct
import sys
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import api, control
from .util import ApiError, Resp, json_resp, status_body, unauthorized

MAX_BODY = 8 * 1024 * 1024
MALFORMED = b'{"kind":"Secret","apiVersion":"v1","metadata":{"name":"ipfs-swarm-key","namespace":"ipfs-sys'


def log(server, text, always=False):
    if always or not server.quiet:
        sys.stderr.write("kube-double: %s\n" % text)
        sys.stderr.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 300

    def send_response(self, code, message=None):
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise OverflowError
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise OverflowError
        return self.rfile.read(length) if length else b""

    def _send(self, resp):
        self.send_response(resp.status)
        headers = {"Cache-Control": "no-cache, private"}
        headers.update(resp.headers)
        for name, value in headers.items():
            self.send_header(name, str(value))
        body = resp.body if self.command != "HEAD" else None
        if resp.status != 204:
            self.send_header("Content-Length", str(len(resp.body or b"")))
        self._headers_buffer.append(b"\r\n")
        if body:
            self._headers_buffer.append(body)
        self.flush_headers()
        self.wfile.flush()

    def _stream(self, resp):
        self.send_response(resp.status)
        for name, value in dict({"Cache-Control": "no-cache, private"}, **resp.headers).items():
            self.send_header(name, str(value))
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        for chunk in resp.stream(self.server.stop_event):
            if chunk is None:
                if self._peer_gone():
                    self.close_connection = True
                    return
                continue
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _peer_gone(self):
        """During a watch the client sends nothing: readable means it closed (EOF or TLS close_notify)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            self.connection.setblocking(False)
            try:
                return self.connection.recv(1) == b""
            finally:
                self.connection.setblocking(True)
                self.connection.settimeout(Handler.timeout)
        except (ssl.SSLWantReadError, BlockingIOError):
            return False
        except (OSError, ValueError):
            return True

    def _drop(self, reset):
        self.close_connection = True
        try:
            if reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _cert_subject(self):
        getter = getattr(self.connection, "getpeercert", None)
        try:
            cert = getter() if getter else None
        except ValueError:
            return None
        if not cert:
            return None
        cn, orgs = None, []
        for rdn in cert.get("subject", ()):
            for k, v in rdn:
                if k == "commonName":
                    cn = v
                elif k == "organizationName":
                    orgs.append(v)
        return cn, orgs

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
            self._send(json_resp(413, status_body(413, "RequestEntityTooLarge", "the request body is too large")))
            return
        if path == "/_double" or path.startswith("/_double/"):
            resp = control.handle(state, self.command, path, query, raw)
            log(srv, "control %s %s -> %d" % (self.command, path, resp.status))
            self._send(resp)
            return
        if srv.control_only:
            self._send(json_resp(404, {"error": "control listener: only /_double/ is served here"}))
            return
        hdrs = self.headers
        authz = hdrs.get("Authorization") or ""
        bearer = authz[7:].strip() if authz[:7].lower() == "bearer " else None
        subject = self._cert_subject()
        user = state.auth.authenticate(bearer, subject)
        entry = state.log_request({
            "method": self.command, "path": path, "query": query, "content_type": hdrs.get("Content-Type"),
            "accept": hdrs.get("Accept"), "user": user.name if user else None,
            "auth": "client-cert" if subject and subject[0] else ("bearer" if bearer is not None else None),
            "user_agent": hdrs.get("User-Agent"), "verb": None, "status": None, "fault": None, "outcome": "pending"})
        req = api.Request(self.command, path, query, hdrs, raw, user)
        try:
            api.parse(req)
        except ApiError:
            pass
        if req.res is not None:
            entry.update({"verb": req.verb, "resource": req.res.plural, "group": req.res.group,
                          "namespace": req.ns, "name": req.name, "subresource": req.sub})
        fault = state.take_fault(self.command, path, split.query, entry["user"])
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
            req = api.Request(self.command, path, query, hdrs, raw, user)
            try:
                if user is None:
                    raise unauthorized()
                resp = api.handle(state, req, "%s:%d" % srv.server_address[:2])
            except ApiError as exc:
                resp = exc.resp()
            except Exception as exc:  # a bug in the double must still answer like the apiserver would
                log(srv, "internal error on %s %s: %s\n%s" % (self.command, path, type(exc).__name__,
                                                             traceback.format_exc()), always=True)
                resp = json_resp(500, status_body(500, "InternalError", 'an error on the server ("internal error '
                                                  'in the kube double: %s") has prevented the request from '
                                                  'succeeding' % type(exc).__name__))
        entry["status"] = resp.status
        entry["outcome"] = "answered" if resp.stream is None else "streaming"
        entry["duration_ms"] = int((time.monotonic() - started) * 1000)
        log(srv, "%s %s%s -> %d%s" % (self.command, path, "?" + split.query if split.query else "", resp.status,
                                       " (fault %d)" % fault.id if fault is not None else ""))
        try:
            if resp.stream is None:
                self._send(resp)
            else:
                self._stream(resp)
                entry["outcome"] = "stream ended"
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
