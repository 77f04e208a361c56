"""Fault rules and the request log, as held by a double's state (see README.md / README-kube.md)."""

import re

MAX_LOGGED_REQUESTS = 20000
ACTIONS = ("respond", "delay", "drop", "reset", "malformed")


class FaultRule:
    """Matches method, path regex and query regex; subclasses add their own key (match_key) and body."""

    def __init__(self, fid, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault rule is a JSON object")
        self.id = fid
        self.spec = spec
        self.method = spec.get("method")
        if self.method is not None and not isinstance(self.method, (str, list)):
            raise ValueError("method must be a string or a list of strings")
        methods = self.method if isinstance(self.method, list) else [self.method] if self.method else []
        self.methods = {m.upper() for m in methods}
        self.path = spec.get("path", "")
        self.path_re = re.compile(self.path)
        self.query_re = re.compile(spec["query"]) if spec.get("query") else None

    def parse_action(self, spec):
        self.after = int(spec.get("after", 0) or 0)
        self.delay_ms = int(spec.get("delay_ms", 0) or 0)
        self.action = spec.get("action") or ("delay" if self.delay_ms else "respond")
        if self.action not in ACTIONS:
            raise ValueError("action must be one of %s" % (ACTIONS,))
        self.status = int(spec.get("status", 500 if self.action == "respond" else 200))
        self.seen = 0
        self.applied = 0

    def matches(self, method, path, query, key):
        if self.methods and method.upper() not in self.methods:
            return False
        if not self.path_re.search(path):
            return False
        if self.query_re is not None and not self.query_re.search(query):
            return False
        return self.match_key(key)

    def match_key(self, key):
        return True


class FaultsAndLog:
    """Mixin for a state with .lock, fault_class and log_time(); reset_faults_and_log() from reset()."""
    fault_class = FaultRule

    def reset_faults_and_log(self):
        self.faults = []
        self.fault_seq = 0
        self.requests = []
        self.request_seq = 0

    def add_fault(self, spec):
        with self.lock:
            self.fault_seq += 1
            fault = self.fault_class(self.fault_seq, spec)
            self.faults.append(fault)
            return fault

    def take_fault(self, method, path, query, key):
        with self.lock:
            for fault in self.faults:
                if not fault.matches(method, path, query, key):
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                if fault.times is not None and fault.applied >= fault.times:
                    continue
                fault.applied += 1
                return fault
        return None

    def log_request(self, entry):
        with self.lock:
            self.request_seq += 1
            entry["seq"] = self.request_seq
            entry["time"] = self.log_time()
            self.requests.append(entry)
            if len(self.requests) > MAX_LOGGED_REQUESTS:
                del self.requests[: len(self.requests) - MAX_LOGGED_REQUESTS]
        return entry
