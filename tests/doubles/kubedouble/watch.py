"""WATCH (?watch=1): newline-separated JSON events streamed over a chunked answer. The generator yields None when idle (the server then checks
whether the client is still there).

resourceVersion "" or "0": synthetic ADDED events for what exists, then changes; N: changes after N
(ERROR with a 410 Expired Status when N is older than the kept history); sendInitialEvents=true with
allowWatchBookmarks: ADDED events then a BOOKMARK annotated k8s.io/initial-events-end. Objects that stop
matching a selector are sent as DELETED, like the apiserver's watch cache. Bookmarks every few seconds
when allowWatchBookmarks=true. The stream ends at timeoutSeconds, on /_double/reset and at shutdown."""

import time

from .store import matches, parse_field_selector, parse_label_selector
from .table import TABLE_MEDIA, table, wants_table
from .util import Resp, bad_request, deep, dumps, status_body

BOOKMARK_EVERY = 5.0


def _bool(q, key):
    return q.get(key) in ("1", "true", "True")


def start(state, req):
    res, q = req.res, req.query
    lp = parse_label_selector(q.get("labelSelector"))
    fp = parse_field_selector(res.key, q.get("fieldSelector"), res.kind)
    rv = q.get("resourceVersion", "")
    if rv not in ("", "0") and not rv.isdigit():
        raise bad_request('invalid resource version: strconv.ParseUint: parsing "%s": invalid syntax' % rv)
    try:
        timeout = float(q.get("timeoutSeconds") or 1800)
    except ValueError:
        raise bad_request("invalid timeoutSeconds")
    bookmarks = _bool(q, "allowWatchBookmarks")
    initial_end = _bool(q, "sendInitialEvents")
    tv = wants_table(req.headers.get("Accept"))
    include = q.get("includeObject", "PartialObjectMetadata")
    with state.lock:
        epoch = state.epoch
        store = state.store
        if rv in ("", "0") or initial_end:
            initial = [deep(o) for o in store.list(res.key, req.ns) if matches(o, lp, fp)]
            pos = store.rv
        else:
            initial = []
            pos = int(rv)
        known = {(o["metadata"].get("namespace", ""), o["metadata"]["name"])
                 for o in store.list(res.key, req.ns) if matches(o, lp, fp)}

    def encode(etype, obj):
        if tv and etype in ("ADDED", "MODIFIED", "DELETED"):
            obj = table(res, [obj], None, tv, include)
        return dumps({"type": etype, "object": obj}).encode("utf-8")

    def bookmark(at, end=False):
        meta = {"resourceVersion": str(at), "creationTimestamp": None}
        if end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return dumps({"type": "BOOKMARK", "object": {"kind": res.kind, "apiVersion": res.api_version,
                                                     "metadata": meta}}).encode()

    def stream(stop):
        nonlocal pos
        deadline = time.monotonic() + timeout
        for obj in initial:
            yield encode("ADDED", obj)
        if initial_end and bookmarks:
            yield bookmark(pos, end=True)
        last_sent = time.monotonic()
        while not stop.is_set() and time.monotonic() < deadline:
            with state.cond:
                if state.epoch != epoch:
                    return
                events = state.store.events_after(pos, res.key, req.ns)
                if events == []:
                    state.cond.wait(timeout=max(0.01, min(0.5, deadline - time.monotonic())))
                    if state.epoch != epoch:
                        return
                    events = state.store.events_after(pos, res.key, req.ns)
                current = state.store.rv
            if not events and events is not None:
                yield None  # idle: lets the server notice a client that went away
                continue
            if events is None:
                msg = "too old resource version: %d (%d)" % (pos, state.store.oldest - 1)
                yield dumps({"type": "ERROR", "object": status_body(410, "Expired", msg)}).encode()
                return
            for at, etype, obj in events:
                pos = at
                key = (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
                if matches(obj, lp, fp):
                    if etype == "DELETED":
                        known.discard(key)
                    else:
                        known.add(key)
                    yield encode(etype, obj)
                    last_sent = time.monotonic()
                elif key in known:
                    known.discard(key)
                    yield encode("DELETED", obj)
                    last_sent = time.monotonic()
            if bookmarks and time.monotonic() - last_sent >= BOOKMARK_EVERY:
                pos = max(pos, current)
                yield bookmark(pos)
                last_sent = time.monotonic()

    ctype = TABLE_MEDIA % tv if tv else "application/json"
    return Resp(200, None, {"Content-Type": ctype}, stream=stream)
