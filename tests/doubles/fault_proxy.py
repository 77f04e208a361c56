#!/usr/bin/python3
"""A fault-injecting HTTP proxy for keyd's tests: it forwards every request to an upstream double (the
Vault double) and, for requests that match a rule, lets the upstream answer — so a write is committed —
and only then loses the reply: a 500 instead of it, the reply after a delay, or no reply at all.
Standard library only; the doubles' plumbing (doublekit). See "Fault proxy" in README.md beside this file.

    /usr/bin/python3 tests/doubles/fault_proxy.py --upstream http://127.0.0.1:8200 --port 0 --port-file P \
        [--control-port-file C] [--rule '{"method":"POST","path":"^/v1/secret/data/","action":"respond"}']
"""

import argparse
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from doublekit import control as kit  # noqa: E402
from doublekit import httpd, process  # noqa: E402
from doublekit.faults import FaultRule, FaultsAndLog  # noqa: E402

NAME = "fault-proxy"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "proxy-connection"}


class Resp:
    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


class Out:
    """The answers kit.common builds control replies with."""

    @staticmethod
    def json_resp(status, obj):
        return Resp(status, (json.dumps(obj) + "\n").encode(), {"Content-Type": "application/json"})

    @staticmethod
    def no_content():
        return Resp(204)

    @staticmethod
    def error(status, message):
        return Out.json_resp(status, {"errors": [message]})


class Rule(FaultRule):
    """A fault rule in the Vault double's format, applied after the upstream answered (see README.md)."""

    def __init__(self, fid, spec):
        super().__init__(fid, spec)
        self.times = spec.get("times", 1)
        self.times = None if self.times is None else int(self.times)
        self.parse_action(spec)
        self.body = spec.get("body", {"errors": ["injected fault after commit"]})
        self.headers = dict(spec.get("headers") or {})
        self.before = spec.get("before")  # {"method", "path", "body"}: another writer's request, sent first
        if self.before is not None and not (isinstance(self.before, dict) and str(self.before.get("path", "")
                                                                                    ).startswith("/")):
            raise ValueError("before must be an object with an absolute path")

    def describe(self):
        return {"id": self.id, "method": self.method, "path": self.path, "times": self.times, "after": self.after,
                "delay_ms": self.delay_ms, "action": self.action, "status": self.status, "before": self.before,
                "seen": self.seen, "applied": self.applied}


class State(FaultsAndLog):
    fault_class = Rule

    def __init__(self, upstream):
        self.lock = threading.RLock()
        self.upstream = upstream
        self.startup = []  # (control endpoint, raw body) from --rule, re-applied on reset
        self.reset()

    def reset(self):
        self.reset_faults_and_log()

    @staticmethod
    def log_time():
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def control(state, method, path, query, raw):
    def route(state, method, parts, query, body):
        shared = kit.common(state, method, parts, body, route, Out)
        if shared is not None:
            return shared
        if parts == ["status"] and method == "GET":
            return Out.json_resp(200, {"upstream": state.upstream, "faults": [f.describe() for f in state.faults],
                                       "requests": len(state.requests)})
        return Out.error(404, "no such control endpoint")
    return kit.handle(state, method, path, query, raw, route, Out.error)


def forward(upstream, method, target, headers, raw):
    """One exchange with the upstream (a fresh connection each time); 502 when it cannot be reached."""
    url = urllib.parse.urlsplit(upstream)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        sent = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "host"}
        conn.request(method, target, body=raw if raw or method in ("POST", "PUT", "PATCH") else None, headers=sent)
        reply = conn.getresponse()
        body = reply.read()
        kept = {k: v for k, v in reply.getheaders() if k.lower() not in HOP_BY_HOP}
        return Resp(reply.status, body if body or reply.status != 204 else None, kept)
    except OSError as exc:
        return Out.error(502, "fault proxy: upstream %s: %s" % (upstream, exc))
    finally:
        conn.close()


class Handler(httpd.Handler):
    timeout = 120
    cache_control = "no-store"

    def content_length(self, resp, body):
        return None if resp.status == 204 else len(body or b"")

    def _handle(self):
        srv = self.server
        state = srv.state
        split = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(split.path)
        try:
            raw = self._read_body()
        except (OverflowError, ValueError):
            self.close_connection = True
            self._send(Out.error(413, "request body too large"))
            return
        if path == "/_double" or path.startswith("/_double/"):
            resp = control(state, self.command, path, None, raw)
            httpd.log(srv, "control %s %s -> %d" % (self.command, path, resp.status))
            self._send(resp)
            return
        if srv.control_only:
            self._send(Out.error(404, "control listener: only /_double/ is served here"))
            return
        entry = state.log_request({"method": self.command, "path": path, "query": split.query, "status": None,
                                   "upstream_status": None, "fault": None, "outcome": "pending"})
        fault = state.take_fault(self.command, path, split.query, None)
        if fault is not None and fault.before is not None:
            entry["before_status"] = self._send_before(fault.before)
        resp = forward(state.upstream, self.command, self.path, dict(self.headers.items()), raw)
        entry["upstream_status"] = resp.status
        if fault is not None:
            entry["fault"] = fault.id
            resp = self._after_commit(fault, resp, entry)
            if resp is None:
                return
        entry["status"] = resp.status
        entry["outcome"] = entry["outcome"] if fault is not None else "answered"
        httpd.log(srv, "%s %s -> %d%s" % (self.command, path, resp.status,
                                           " (fault %d after upstream %d)" % (fault.id, entry["upstream_status"])
                                           if fault is not None else ""))
        try:
            self._send(resp)
        except OSError:
            entry["outcome"] = "client gone"
            self.close_connection = True

    def _send_before(self, before):
        """Another writer's request, with the incoming request's headers (its token): its upstream status."""
        body = before.get("body")
        raw = json.dumps(body).encode() if body is not None else b""
        headers = dict(self.headers.items())
        headers["Content-Type"] = "application/json"
        return forward(self.server.state.upstream, before.get("method", "POST"), before["path"], headers, raw).status

    def _after_commit(self, fault, upstream, entry):
        """The answer to send instead of the upstream's, or None when the connection was closed."""
        if fault.delay_ms and self.server.stop_event.wait(fault.delay_ms / 1000.0):
            self._drop(False)
            entry["outcome"] = "shutdown"
            return None
        if fault.action in ("drop", "reset"):
            entry["outcome"] = "dropped after upstream %d" % upstream.status
            httpd.log(self.server, "%s %s -> connection %s after upstream %d (fault %d)" % (
                self.command, self.path, fault.action, upstream.status, fault.id))
            self._drop(fault.action == "reset")
            return None
        if fault.action == "respond":
            entry["outcome"] = "replaced"
            return httpd.fault_response(Resp, fault)
        if fault.action == "malformed":
            entry["outcome"] = "truncated"
            return Resp(upstream.status, (upstream.body or b"")[: len(upstream.body or b"") // 2], upstream.headers)
        entry["outcome"] = "delayed"  # "delay": the upstream's own answer, late
        return upstream


def parse_args(argv):
    p = argparse.ArgumentParser(prog="fault_proxy.py", description="fault-injecting HTTP proxy for keyd's tests")
    process.add_listen_args(p, "also serve /_double/ on a second port written here",
                            "(not supported: plain HTTP only)", "(not supported)")
    p.add_argument("--upstream", required=True, help="base URL of the upstream, e.g. http://127.0.0.1:8200")
    p.add_argument("--rule", action="append", default=[], help="a fault rule (JSON), as POST /_double/faults")
    process.add_process_args(p)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.tls_cert or args.client_ca:
        sys.exit("%s: plain HTTP only" % NAME)
    if not args.upstream.startswith("http://"):
        sys.exit("%s: --upstream must be an http:// URL" % NAME)
    state = State(args.upstream.rstrip("/"))
    for rule in args.rule:
        state.startup.append(("/_double/faults", rule.encode()))
    for endpoint, raw in state.startup:
        resp = control(state, "POST", endpoint, None, raw)
        if resp.status >= 300:
            sys.exit("%s: --rule %s: %s" % (NAME, raw.decode(), resp.body.decode()))
    stop = threading.Event()
    servers = process.listen(NAME, Handler, control, args, state, None, stop)
    listening = "http://%s:%d -> %s" % (args.host, servers[0].server_address[1], state.upstream)
    return process.serve(NAME, args, servers, stop, listening)


if __name__ == "__main__":
    sys.exit(main())
