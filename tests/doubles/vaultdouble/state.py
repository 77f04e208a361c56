"""Everything the double holds: seal state, settings, auth, KV mounts per namespace, faults, request log."""

import re
import threading

from .auth import AuthStore, Token
from .kv import KVMount
from .util import new_uuid, now_ns, rfc3339

MAX_LOGGED_REQUESTS = 20000
ACTIONS = ("respond", "delay", "drop", "reset", "malformed")


class Fault:
    def __init__(self, fid, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault rule is a JSON object")
        self.id = fid
        self.method = spec.get("method")
        if self.method is not None and not isinstance(self.method, (str, list)):
            raise ValueError("method must be a string or a list of strings")
        methods = self.method if isinstance(self.method, list) else [self.method] if self.method else []
        self.methods = {m.upper() for m in methods}
        self.path = spec.get("path", "")
        self.path_re = re.compile(self.path)
        self.query_re = re.compile(spec["query"]) if spec.get("query") else None
        self.namespace = spec.get("namespace")
        self.times = spec.get("times")
        self.after = int(spec.get("after", 0) or 0)
        self.delay_ms = int(spec.get("delay_ms", 0) or 0)
        self.action = spec.get("action") or ("delay" if self.delay_ms else "respond")
        if self.action not in ACTIONS:
            raise ValueError("action must be one of %s" % (ACTIONS,))
        self.status = int(spec.get("status", 500 if self.action == "respond" else 200))
        self.body = spec.get("body", {"errors": ["injected fault"]} if self.action == "respond" else None)
        self.headers = dict(spec.get("headers") or {})
        if self.times is not None:
            self.times = int(self.times)
        self.seen = 0
        self.applied = 0

    def matches(self, method, path, query, namespace):
        if self.methods and method.upper() not in self.methods:
            return False
        if not self.path_re.search(path):
            return False
        if self.query_re is not None and not self.query_re.search(query):
            return False
        if self.namespace is not None and self.namespace.strip("/") != namespace:
            return False
        return True

    def describe(self):
        return {"id": self.id, "method": self.method, "path": self.path, "times": self.times,
                "after": self.after, "delay_ms": self.delay_ms, "action": self.action,
                "status": self.status, "seen": self.seen, "applied": self.applied}


class State:
    def __init__(self, root_token):
        self.lock = threading.RLock()
        self.root_token = root_token
        self.cluster_id = new_uuid()
        self.startup = []  # (control endpoint, raw JSON body) from --config, re-applied on reset
        self.reset()

    def reset(self):
        with self.lock:
            self.sealed = False
            self.standby = False
            self.performance_standby = False
            self.initialized = True
            self.require_request_header = False
            self.version = "1.15.6"
            self.cluster_name = "vault-cluster-double"
            self.auth = AuthStore()
            self.auth.add(Token(["root"], ttl=0, renewable=False, display_name="root",
                                path="auth/token/root", source="root", token_id=self.root_token))
            self.mount_defs = {"secret": {"max_versions": 0, "cas_required": False, "delete_version_after": 0}}
            self.kv = {}
            self.faults = []
            self.fault_seq = 0
            self.requests = []
            self.request_seq = 0

    # KV mounts: definitions are global, contents are per namespace
    def add_mount(self, path, max_versions=0, cas_required=False, delete_version_after=0):
        path = path.strip("/")
        if not path or path.startswith(("sys", "auth", "cubbyhole", "identity")):
            raise ValueError("invalid mount path %r" % path)
        self.mount_defs[path] = {"max_versions": int(max_versions), "cas_required": bool(cas_required),
                                 "delete_version_after": int(delete_version_after)}

    def resolve_mount(self, rel):
        """(mount name, rest) for the longest mount prefix of rel, or (None, None)."""
        best = None
        for name in self.mount_defs:
            if rel == name or rel.startswith(name + "/"):
                if best is None or len(name) > len(best):
                    best = name
        if best is None:
            return None, None
        return best, rel[len(best) + 1:]

    def kv_mount(self, namespace, name):
        key = (namespace, name)
        mount = self.kv.get(key)
        if mount is None:
            mount = self.kv[key] = KVMount(**self.mount_defs[name])
        return mount

    # faults
    def add_fault(self, spec):
        with self.lock:
            self.fault_seq += 1
            fault = Fault(self.fault_seq, spec)
            self.faults.append(fault)
            return fault

    def take_fault(self, method, path, query, namespace):
        with self.lock:
            for fault in self.faults:
                if not fault.matches(method, path, query, namespace):
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
            entry["time"] = rfc3339(now_ns())
            self.requests.append(entry)
            if len(self.requests) > MAX_LOGGED_REQUESTS:
                del self.requests[: len(self.requests) - MAX_LOGGED_REQUESTS]
        return entry
