"""meta.k8s.io/v1 Table answers for `kubectl get` (Accept: application/json;as=Table;g=meta.k8s.io;v=v1)."""

from .apps import selector_string
from .util import human_duration, now, parse_rfc3339, rfc3339

TABLE_MEDIA = "application/json;as=Table;v=%s;g=meta.k8s.io"


def wants_table(accept):
    """'v1' / 'v1beta1' when the Accept header asks for a Table first, else None."""
    for part in (accept or "").split(","):
        params = {}
        for p in part.split(";")[1:]:
            if "=" in p:
                k, v = p.strip().split("=", 1)
                params[k] = v
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
            return params["v"]
        if part.strip().split(";")[0] in ("application/json", "*/*"):
            return None
    return None


def _col(name, typ="string", fmt="", desc="", priority=0):
    return {"name": name, "type": typ, "format": fmt, "description": desc or name, "priority": priority}


def _age(obj):
    ts = parse_rfc3339((obj.get("metadata") or {}).get("creationTimestamp"))
    return "<unknown>" if ts is None else human_duration(now() - ts)


def _containers(obj):
    return ((obj.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []


def _pod_row(o):
    st = o.get("status") or {}
    cs = st.get("containerStatuses") or []
    total = len((o.get("spec") or {}).get("containers") or [])
    ready = sum(1 for c in cs if c.get("ready"))
    reason = st.get("phase", "Pending")
    for c in cs:
        waiting = (c.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason"):
            reason = waiting["reason"]
    if (o.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Terminating"
    restarts = sum(int(c.get("restartCount") or 0) for c in cs)
    return ["%d/%d" % (ready, total), reason, restarts, _age(o), st.get("podIP") or "<none>",
            (o.get("spec") or {}).get("nodeName") or "<none>", "<none>", "<none>"]


NAME = _col("Name", fmt="name", desc="Name must be unique within a namespace.")
AGE = _col("Age", desc="CreationTimestamp is a timestamp representing the server time when this object was created.")

CREATED = _col("Created At", "date", desc=AGE["description"])
BINDING_COLUMNS = [NAME, _col("Role", desc="RoleRef can only reference a Role in the current namespace or a "
                              "ClusterRole in the global namespace."), AGE,
                   _col("Users", priority=1, desc="Users in the roleBinding"),
                   _col("Groups", priority=1, desc="Groups in the roleBinding"),
                   _col("ServiceAccounts", priority=1, desc="ServiceAccounts in the roleBinding")]


def _created(o):
    ts = parse_rfc3339((o.get("metadata") or {}).get("creationTimestamp"))
    return "" if ts is None else rfc3339(ts)


def _binding_row(o):
    ref = o.get("roleRef") or {}
    subjects = o.get("subjects") or []
    users = ", ".join(s.get("name", "") for s in subjects if s.get("kind") == "User")
    groups = ", ".join(s.get("name", "") for s in subjects if s.get("kind") == "Group")
    sas = ", ".join("%s/%s" % (s.get("namespace", ""), s.get("name", "")) for s in subjects
                    if s.get("kind") == "ServiceAccount")
    return ["%s/%s" % (ref.get("kind", ""), ref.get("name", "")), _age(o), users, groups, sas]


COLUMNS = {
    "secrets": ([NAME, _col("Type"), _col("Data", "string"), AGE],
                lambda o: [o.get("type", ""), len(o.get("data") or {}), _age(o)]),
    "configmaps": ([NAME, _col("Data", "string"), AGE],
                   lambda o: [len(o.get("data") or {}) + len(o.get("binaryData") or {}), _age(o)]),
    "namespaces": ([NAME, _col("Status", desc="The status of the namespace"), AGE],
                   lambda o: [(o.get("status") or {}).get("phase", ""), _age(o)]),
    "pods": ([NAME, _col("Ready"), _col("Status"), _col("Restarts", "string"), AGE,
              _col("IP", priority=1), _col("Node", priority=1), _col("Nominated Node", priority=1),
              _col("Readiness Gates", priority=1)], _pod_row),
    "statefulsets": ([NAME, _col("Ready"), AGE, _col("Containers", priority=1), _col("Images", priority=1)],
                     lambda o: ["%d/%d" % ((o.get("status") or {}).get("readyReplicas", 0),
                                           (o.get("spec") or {}).get("replicas", 0)), _age(o),
                                ",".join(c.get("name", "") for c in _containers(o)),
                                ",".join(c.get("image", "") for c in _containers(o))]),
    "deployments": ([NAME, _col("Ready"), _col("Up-to-date", "integer"), _col("Available", "integer"), AGE,
                     _col("Containers", priority=1), _col("Images", priority=1), _col("Selector", priority=1)],
                    lambda o: ["%d/%d" % ((o.get("status") or {}).get("readyReplicas", 0),
                                          (o.get("spec") or {}).get("replicas", 0)),
                               (o.get("status") or {}).get("updatedReplicas", 0),
                               (o.get("status") or {}).get("availableReplicas", 0), _age(o),
                               ",".join(c.get("name", "") for c in _containers(o)),
                               ",".join(c.get("image", "") for c in _containers(o)),
                               selector_string((o.get("spec") or {}).get("selector") or {})]),
    "daemonsets": ([NAME, _col("Desired", "integer"), _col("Current", "integer"), _col("Ready", "integer"),
                    _col("Up-to-date", "integer"), _col("Available", "integer"), _col("Node Selector"), AGE],
                   lambda o: [(o.get("status") or {}).get(k, 0) for k in (
                       "desiredNumberScheduled", "currentNumberScheduled", "numberReady",
                       "updatedNumberScheduled", "numberAvailable")] + [
                       ",".join("%s=%s" % kv for kv in sorted(((o.get("spec") or {}).get("template", {}).get(
                           "spec", {}).get("nodeSelector") or {}).items())) or "<none>", _age(o)]),
    "events": ([_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"), _col("Message")],
               lambda o: [_event_age(o), o.get("type", ""), o.get("reason", ""),
                          "%s/%s" % (((o.get("involvedObject") or {}).get("kind") or "").lower(),
                                     (o.get("involvedObject") or {}).get("name", "")), o.get("message", "")]),
    "leases": ([NAME, _col("Holder"), AGE],
               lambda o: [(o.get("spec") or {}).get("holderIdentity") or "", _age(o)]),
    "serviceaccounts": ([NAME, _col("Secrets", "string"), AGE], lambda o: [len(o.get("secrets") or []), _age(o)]),
    "roles": ([NAME, CREATED], lambda o: [_created(o)]),
    "clusterroles": ([NAME, CREATED], lambda o: [_created(o)]),
    "rolebindings": (BINDING_COLUMNS, _binding_row),
    "clusterrolebindings": (BINDING_COLUMNS, _binding_row),
}


def _event_age(o):
    ts = parse_rfc3339(o.get("lastTimestamp") or o.get("eventTime") or (o.get("metadata") or {}).get("creationTimestamp"))
    return "<unknown>" if ts is None else human_duration(now() - ts)


def _partial(obj, version):
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/" + version, "metadata": obj["metadata"]}


def table(res, objs, list_rv, version, include):
    cols, fn = COLUMNS.get(res.plural, ([NAME, AGE], lambda o: [_age(o)]))
    if res.plural == "events":
        cols, cells = cols, fn
        rows_cells = [cells(o) for o in objs]
    else:
        rows_cells = [[o["metadata"]["name"]] + fn(o) for o in objs]
    rows = []
    for o, cells in zip(objs, rows_cells):
        row = {"cells": cells}
        if include == "Object":
            full = dict(o)
            full.setdefault("kind", res.kind)
            full.setdefault("apiVersion", res.api_version)
            row["object"] = full
        elif include != "None":
            row["object"] = _partial(o, version)
        rows.append(row)
    meta = {"resourceVersion": list_rv} if list_rv else {}
    return {"kind": "Table", "apiVersion": "meta.k8s.io/" + version, "metadata": meta,
            "columnDefinitions": cols, "rows": rows}
