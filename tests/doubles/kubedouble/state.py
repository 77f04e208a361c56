"""Everything the double holds: objects, users and rules, controller settings, faults, the request log."""

import json
import threading

from doublekit.faults import FaultRule, FaultsAndLog

from .auth import AuthConfig
from .store import Store
from .util import new_uid, rfc3339, status_body

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
           409: "Conflict", 410: "Expired", 415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
           500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}
CONTROLLER_DEFAULTS = {"seconds_per_pod": 0.5, "stuck": False, "paused": False, "daemonset_nodes": 2}


class Fault(FaultRule):
    """A fault rule; see README-kube.md. Matches method, path regex, query regex and (optionally) user."""

    def __init__(self, fid, spec):
        super().__init__(fid, spec)
        method = spec.get("method")
        self.methods = {m.upper() for m in ([method] if isinstance(method, str) else method or [])}
        self.user = spec.get("user")
        self.times = None if spec.get("times") is None else int(spec["times"])
        self.parse_action(spec)
        default_body = status_body(self.status, REASONS.get(self.status, "InternalError"),
                                   spec.get("message", "injected fault (kube double)"))
        if "retry_after_seconds" in spec:
            default_body["details"] = {"retryAfterSeconds": int(spec["retry_after_seconds"])}
        self.body = spec.get("body", default_body if self.action == "respond" else None)
        self.headers = dict(spec.get("headers") or {})

    def match_key(self, user):
        return self.user is None or self.user == user

    def describe(self):
        return dict(self.spec, id=self.id, action=self.action, status=self.status, seen=self.seen,
                    applied=self.applied)


class State(FaultsAndLog):
    fault_class = Fault

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
            self.reset_faults_and_log()
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

    def log_time(self):
        return rfc3339()

    def snapshot(self):
        """JSON-safe copy of the request log."""
        with self.lock:
            return json.loads(json.dumps(self.requests))
