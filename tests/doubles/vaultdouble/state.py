"""Everything the double holds: seal state, settings, auth, KV mounts per namespace, faults, request log."""

import threading

from doublekit.faults import FaultRule, FaultsAndLog

from .auth import AuthStore, Token
from .kv import KVMount
from .util import new_uuid, now_ns, rfc3339


class Fault(FaultRule):
    """A fault rule; see README.md. Matches method, path regex, query regex and (optionally) namespace."""

    def __init__(self, fid, spec):
        super().__init__(fid, spec)
        self.namespace = spec.get("namespace")
        self.times = spec.get("times")
        self.parse_action(spec)
        self.body = spec.get("body", {"errors": ["injected fault"]} if self.action == "respond" else None)
        self.headers = dict(spec.get("headers") or {})
        if self.times is not None:
            self.times = int(self.times)

    def match_key(self, namespace):
        return self.namespace is None or self.namespace.strip("/") == namespace

    def describe(self):
        return {"id": self.id, "method": self.method, "path": self.path, "times": self.times,
                "after": self.after, "delay_ms": self.delay_ms, "action": self.action,
                "status": self.status, "seen": self.seen, "applied": self.applied}


class State(FaultsAndLog):
    fault_class = Fault

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
            self.reset_faults_and_log()

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

    def log_time(self):
        return rfc3339(now_ns())
