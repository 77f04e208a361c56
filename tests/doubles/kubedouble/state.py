"""Everything the double holds: objects, users and rules, controller settings, faults, the request log."""

import json
import re
import threading

from .auth import AuthConfig
from .store import Store
from .util import new_uid, rfc3339, status_body

MAX_LOGGED_REQUESTS = 20000
ACTIONS = ("respond", "delay", "drop", "reset", "malformed")
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
           409: "Conflict", 410: "Expired", 415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
           500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}
CONTROLLER_DEFAULTS = {"seconds_per_pod": 0.5, "stuck": False, "paused": False, "daemonset_nodes": 2}


class Fault:
    """A fault rule; see README-kube.md. Matches method, path regex, query regex and (optionally) user."""

    def __init__(self, fid, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault rule is a JSON object")
        self.id = fid
        self.spec = spec
        method = spec.get("method")
        if method is not None and not isinstance(method, (str, list)):
            raise ValueError("method must be a string or a list of strings")
        self.methods = {m.upper() for m in ([method] if isinstance(method, str) else method or [])}
        self.path_re = re.compile(spec.get("path", ""))
        self.query_re = re.compile(spec["query"]) if spec.get("query") else None
        self.user = spec.get("user")
        self.times = None if spec.get("times") is None else int(spec["times"])
        self.after = int(spec.get("after", 0) or 0)
        self.delay_ms = int(spec.get("delay_ms", 0) or 0)
        self.action = spec.get("action") or ("delay" if self.delay_ms else "respond")
        if self.action not in ACTIONS:
            raise ValueError("action must be one of %s" % (ACTIONS,))
        self.status = int(spec.get("status", 500 if self.action == "respond" else 200))
        default_body = status_body(self.status, REASONS.get(self.status, "InternalError"),
                                   spec.get("message", "injected fault (kube double)"))
        if "retry_after_seconds" in spec:
            default_body["details"] = {"retryAfterSeconds": int(spec["retry_after_seconds"])}
        self.body = spec.get("body", default_body if self.action == "respond" else None)
        self.headers = dict(spec.get("headers") or {})
        self.seen = 0
        self.applied = 0

    def matches(self, method, path, query, user):
        if self.methods and method.upper() not in self.methods:
            return False
        if not self.path_re.search(path):
            return False
        if self.query_re is not None and not self.query_re.search(query):
            return False
        return self.user is None or self.user == user

    def describe(self):
        return dict(self.spec, id=self.id, action=self.action, status=self.status, seen=self.seen,
                    applied=self.applied)


class State:
    def __init__(self, admin_token):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.admin_token = admin_token
        self.startup = []      # (control endpoint, raw JSON body) from --config, re-applied on reset
        self.epoch = 0
        self.reset()

    def reset(self):
        with self.lock:
            self.epoch += 1    # ends open watches
            self.store = Store(self.cond)
            self.auth = AuthConfig(self.admin_token)
            self.settings = {"version": "v1.32.4"}
            self.controller = dict(CONTROLLER_DEFAULTS, workloads={})
            self.runtime = {}  # controller memory: pod uid -> ready time, workload uid -> rollout start
            self.faults = []
            self.fault_seq = 0
            self.requests = []
            self.request_seq = 0
            for ns in DEFAULT_NAMESPACES:
                self.seed_namespace(ns)
            self.cond.notify_all()

    def seed_namespace(self, name, labels=None):
        if self.store.get("/namespaces", "", name) is not None:
            return
        meta = {"name": name, "uid": new_uid(), "creationTimestamp": rfc3339(),
                "labels": dict(labels or {}, **{"kubernetes.io/metadata.name": name})}
        self.store.put("/namespaces", {"kind": "Namespace", "apiVersion": "v1", "metadata": meta,
                                       "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}},
                       "ADDED")

    def controller_settings(self, ns, name):
        s = {k: v for k, v in self.controller.items() if k != "workloads"}
        s.update(self.controller["workloads"].get("%s/%s" % (ns, name), {}))
        return s

    # faults
    def add_fault(self, spec):
        with self.lock:
            self.fault_seq += 1
            fault = Fault(self.fault_seq, spec)
            self.faults.append(fault)
            return fault

    def take_fault(self, method, path, query, user):
        with self.lock:
            for fault in self.faults:
                if not fault.matches(method, path, query, user):
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                if fault.times is not None and fault.applied >= fault.times:
                    continue
                fault.applied += 1
                return fault
        return None

    # request log
    def log_request(self, entry):
        with self.lock:
            self.request_seq += 1
            entry["seq"] = self.request_seq
            entry["time"] = rfc3339()
            self.requests.append(entry)
            if len(self.requests) > MAX_LOGGED_REQUESTS:
                del self.requests[: len(self.requests) - MAX_LOGGED_REQUESTS]
        return entry

    def snapshot(self):
        """JSON-safe copy of the request log."""
        with self.lock:
            return json.loads(json.dumps(self.requests))
