"""Object storage: one global resourceVersion counter (like etcd's revision), watch history, selectors."""

import collections
import re

from .util import bad_request, canonical, deep

HISTORY = 5000


class Store:
    def __init__(self, cond):
        self.cond = cond                   # threading.Condition over the state lock
        self.objects = {}                  # (rkey, namespace, name) -> object (external JSON form)
        self.rv = 1
        self.history = collections.deque()  # (rv, rkey, namespace, type, object)
        self.oldest = 1                    # watches from below oldest-1 are "too old" (410)

    # ---------------------------------------------------------------- reading
    def get(self, rkey, ns, name):
        return self.objects.get((rkey, ns or "", name))

    def list(self, rkey, ns=None):
        out = [o for (k, n, _), o in self.objects.items() if k == rkey and (ns is None or n == ns)]
        out.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return out

    # ---------------------------------------------------------------- writing (state lock held)
    def _record(self, rkey, ns, etype, obj):
        self.history.append((self.rv, rkey, ns, etype, deep(obj)))
        while len(self.history) > HISTORY:
            self.history.popleft()
            self.oldest = self.history[0][0] if self.history else self.rv
        self.cond.notify_all()

    def put(self, rkey, obj, etype):
        """Store obj (ADDED or MODIFIED) with a new resourceVersion; returns the stored object."""
        self.rv += 1
        obj = canonical(obj)
        meta = obj["metadata"]
        meta["resourceVersion"] = str(self.rv)
        ns = meta.get("namespace", "")
        self.objects[(rkey, ns, meta["name"])] = obj
        self._record(rkey, ns, etype, obj)
        return obj

    def delete(self, rkey, ns, name):
        obj = self.objects.pop((rkey, ns or "", name), None)
        if obj is None:
            return None
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self._record(rkey, ns or "", "DELETED", obj)
        return obj

    def compact(self):
        """Forget the watch history: any older resourceVersion now yields 410 Expired."""
        self.history.clear()
        self.oldest = self.rv + 1
        self.cond.notify_all()

    def events_after(self, rv, rkey, ns):
        """[(rv, type, obj)] after rv for rkey (and ns), or None when rv is too old."""
        if rv < self.oldest - 1:
            return None
        return [(r, t, o) for (r, k, n, t, o) in self.history
                if r > rv and k == rkey and (ns is None or n == ns)]


# ------------------------------------------------------------------ selectors
_LABEL_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_SET_RE = re.compile(r"^\s*(!?)\s*(%s)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$" % _LABEL_KEY)
_EQ_RE = re.compile(r"^\s*(%s)\s*(==|=|!=)\s*([-A-Za-z0-9_.]*)\s*$" % _LABEL_KEY)
_CMP_RE = re.compile(r"^\s*(%s)\s*(<|>)\s*(\d+)\s*$" % _LABEL_KEY)


def _split_top(text):
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


def parse_label_selector(text):
    """A list of predicates over a labels dict; raises a 400 for a malformed selector."""
    preds = []
    for req in _split_top(text or ""):
        m = _EQ_RE.match(req)
        if m:
            key, op, val = m.groups()
            preds.append((lambda k, v: lambda l: l.get(k) == v)(key, val) if op != "!=" else
                         (lambda k, v: lambda l: l.get(k) != v)(key, val))
            continue
        m = _CMP_RE.match(req)
        if m:
            key, op, val = m.group(1), m.group(2), int(m.group(3))
            preds.append((lambda k, o, v: lambda l: k in l and re.fullmatch(r"-?\d+", l[k]) is not None
                          and (int(l[k]) < v if o == "<" else int(l[k]) > v))(key, op, val))
            continue
        m = _SET_RE.match(req)
        if m:
            neg, key, op, vals = m.groups()
            if op:
                if neg:
                    raise bad_request("unable to parse requirement: %s" % req)
                values = {v.strip() for v in vals.split(",") if v.strip()}
                if op == "in":
                    preds.append((lambda k, vs: lambda l: l.get(k) in vs)(key, values))
                else:
                    preds.append((lambda k, vs: lambda l: l.get(k) not in vs)(key, values))
            elif neg:
                preds.append((lambda k: lambda l: k not in l)(key))
            else:
                preds.append((lambda k: lambda l: k in l)(key))
            continue
        raise bad_request("unable to parse requirement: found '%s', expected: identifier" % req.strip())
    return preds


# field selectors each resource supports besides metadata.name and metadata.namespace
FIELDS = {
    "/secrets": {"type"},
    "/events": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                "reason", "reportingComponent", "source", "type"},
    "/pods": {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
              "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"},
    "/namespaces": {"status.phase"},
    "apps/statefulsets": {"status.successful"},
}


def _field_value(obj, field):
    if field == "source":
        return (obj.get("source") or {}).get("component", "")
    cur = obj
    for part in field.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return "" if cur is None else str(cur)


def parse_field_selector(rkey, text, kind):
    preds = []
    for req in _split_top(text or ""):
        m = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$", req)
        if not m:
            raise bad_request("invalid selector: '%s'; can't understand '%s'" % (text, req))
        field, op, val = m.groups()
        if field not in ("metadata.name", "metadata.namespace") and field not in FIELDS.get(rkey, ()):
            raise bad_request('field label not supported: %s' % field)
        preds.append((lambda f, o, v: lambda obj: (_field_value(obj, f) == v) == (o != "!="))(field, op, val))
    return preds


def selector_name(text):
    """The name a fieldSelector pins (metadata.name=X), used for authorization like the apiserver does."""
    for req in _split_top(text or ""):
        m = re.match(r"^\s*metadata\.name\s*(==|=)\s*(.*?)\s*$", req)
        if m:
            return m.group(2)
    return ""


def matches(obj, label_preds, field_preds):
    labels = obj.get("metadata", {}).get("labels") or {}
    return all(p(labels) for p in label_preds) and all(p(obj) for p in field_preds)
