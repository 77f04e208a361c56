"""HTTP(S) front end: the apiserver's answers on the shared doublekit plumbing (TLS and client certificates,
fault injection, request log), plus authentication and watch streaming (chunked). The command line and
process lifecycle are in cli.py."""

import select
import ssl
import traceback

from doublekit import httpd

from . import api
from .util import ApiError, Resp, json_resp, status_body, unauthorized

NAME = "kube-double"
MAX_BODY = 8 * 1024 * 1024
MALFORMED = b'{"kind":"Secret","apiVersion":"v1","metadata":{"name":"ipfs-swarm-key","namespace":"ipfs-sys'


def log(server, text, always=False):
    httpd.log(server, text, always)


class Handler(httpd.Handler):
    timeout = 300
    max_body = MAX_BODY
    limit_chunked = True
    cache_control = "no-cache, private"
    malformed = MALFORMED
    resp_cls = Resp
    log_query = True

    def too_large(self):
        return json_resp(413, status_body(413, "RequestEntityTooLarge", "the request body is too large"))

    def not_control(self):
        return json_resp(404, {"error": "control listener: only /_double/ is served here"})

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

    def _cert_subject(self):
        cert = self._peer_cert()
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

    def begin(self, path, query, raw):
        state = self.server.state
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
        return entry, entry["user"], user

    def answer(self, path, query, raw, user):
        srv = self.server
        req = api.Request(self.command, path, query, self.headers, raw, user)
        try:
            if user is None:
                raise unauthorized()
            return api.handle(srv.state, req, "%s:%d" % srv.server_address[:2])
        except ApiError as exc:
            return exc.resp()
        except Exception as exc:  # a bug in the double must still answer like the apiserver would
            log(srv, "internal error on %s %s: %s\n%s" % (self.command, path, type(exc).__name__,
                                                         traceback.format_exc()), always=True)
            return json_resp(500, status_body(500, "InternalError", 'an error on the server ("internal error '
                                              'in the kube double: %s") has prevented the request from '
                                              'succeeding' % type(exc).__name__))
