"""HTTP(S) front end shared by the doubles: 127.0.0.1 listeners with optional TLS, body reading, the
/_double/ control split, fault application and request-log bookkeeping. Subclasses supply the answers."""

import json
import socket
import ssl
import struct
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def log(server, text, always=False):
    if always or not server.quiet:
        sys.stderr.write("%s: %s\n" % (server.name, text))
        sys.stderr.flush()


def fault_response(resp_cls, fault):
    headers = dict(fault.headers)
    if isinstance(fault.body, (dict, list)):
        body = json.dumps(fault.body).encode()
    elif isinstance(fault.body, str):
        body = fault.body.encode()
    else:
        body = None
    if body is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    return resp_cls(fault.status, body, headers)


class Handler(BaseHTTPRequestHandler):
    """Subclasses set the class attributes below and implement too_large, not_control, begin, answer."""
    protocol_version = "HTTP/1.1"
    timeout = 120
    max_body = 32 * 1024 * 1024
    limit_chunked = False       # also cap the sum of chunk sizes
    cache_control = "no-store"
    malformed = b""             # body of a "malformed" fault without its own body
    resp_cls = None             # the double's Resp class
    log_query = False           # show ?query in per-request log lines

    def send_response(self, code, message=None):
        # like Go net/http: a Date header but no Server header
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def log_message(self, fmt, *args):  # the default logger would print request lines to stderr
        pass

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def setup(self):
        super().setup()
        if self.server.nagle:
            return
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
                if self.limit_chunked and total > self.max_body:
                    raise OverflowError
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.max_body:
            raise OverflowError
        return self.rfile.read(length) if length else b""

    def content_length(self, resp, body):
        """Content-Length to send (None: no header)."""
        return None if resp.status == 204 else len(resp.body or b"")

    def _send(self, resp):
        self.send_response(resp.status)
        headers = {"Cache-Control": self.cache_control}
        headers.update(resp.headers)
        body = resp.body if self.command != "HEAD" else None
        for name, value in headers.items():
            self.send_header(name, str(value))
        length = self.content_length(resp, body)
        if length is not None:
            self.send_header("Content-Length", str(length))
        if self.server.nagle:
            # like Python's http.server (and some proxies): Nagle's algorithm on, headers and body in
            # separate writes, so a small body waits for the client's ACK of the headers
            self.end_headers()
            if body:
                self.wfile.write(body)
            self.wfile.flush()
            return
        # like Go's net/http: TCP_NODELAY, and one write for status line, headers and body
        self._headers_buffer.append(b"\r\n")
        if body:
            self._headers_buffer.append(body)
        self.flush_headers()
        self.wfile.flush()

    def _drop(self, reset):
        self.close_connection = True
        try:
            if reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _peer_cert(self):
        """The verified client certificate (dict), or None."""
        getter = getattr(self.connection, "getpeercert", None)
        try:
            return getter() if getter else None
        except ValueError:
            return None

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
            self._send(self.too_large())
            return
        if path == "/_double" or path.startswith("/_double/"):
            resp = srv.control(state, self.command, path, query, raw)
            log(srv, "control %s %s -> %d" % (self.command, path, resp.status))
            self._send(resp)
            return
        if srv.control_only:
            self._send(self.not_control())
            return
        entry, who, ctx = self.begin(path, query, raw)
        fault = state.take_fault(self.command, path, split.query, who)
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
                body = fault.body.encode() if isinstance(fault.body, str) else self.malformed
                resp = self.resp_cls(fault.status, body, {"Content-Type": "application/json"})
            elif fault.action == "respond":
                resp = fault_response(self.resp_cls, fault)
        if resp is None:
            resp = self.answer(path, query, raw, ctx)
        stream = getattr(resp, "stream", None)
        entry["status"] = resp.status
        entry["outcome"] = "answered" if stream is None else "streaming"
        entry["duration_ms"] = int((time.monotonic() - started) * 1000)
        shown = path + ("?" + split.query if self.log_query and split.query else "")
        log(srv, "%s %s -> %d%s" % (self.command, shown, resp.status,
                                     " (fault %d)" % fault.id if fault is not None else ""))
        try:
            if stream is None:
                self._send(resp)
            else:
                self._stream(resp)
                entry["outcome"] = "stream ended"
        except OSError:
            entry["outcome"] = "client gone"
            self.close_connection = True


class DoubleServer(ThreadingHTTPServer):
    """One listener; control_only listeners serve only /_double/. control(state, method, path, query, raw)."""
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, name, handler, control, address, state, ssl_ctx, quiet, stop_event, control_only=False,
                 nagle=False):
        self.name = name
        self.nagle = nagle
        self.control = control
        self.state = state
        self.ssl_ctx = ssl_ctx
        self.quiet = quiet
        self.stop_event = stop_event
        self.control_only = control_only
        super().__init__(address, handler)

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
        tls.settimeout(self.RequestHandlerClass.timeout)
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        log(self, "connection from %s ended with %s" % (client_address[0], sys.exc_info()[0].__name__))
