"""The test control API under /_double/ (never under /api or /apis). No authentication: loopback only.

Bodies and answers are JSON. Token values appear only in the answer to POST /_double/tokens."""

import sys

from doublekit import control as kit

from . import auth, rest
from . import resources as R
from .api import Request
from .patch import merge_patch
from .util import ApiError, deep, dumps, json_resp, no_content, Resp

CONTROLLER_KEYS = ("seconds_per_pod", "stuck", "paused", "daemonset_nodes")


def error(status, message):
    return json_resp(status, {"error": message})


def handle(state, method, path, query, raw):
    return kit.handle(state, method, path, query, raw, _route_api, error,
                      lambda exc: "%s: %s" % (type(exc).__name__, exc))


def _route_api(state, method, parts, query, body):
    try:
        return _route(state, method, parts, query, body)
    except ApiError as exc:
        return json_resp(exc.code, exc.status())


def _route(state, method, parts, query, body):
    key = "/".join(parts)
    shared = kit.common(state, method, parts, body, _route, sys.modules[__name__], lambda _: state.snapshot())
    if shared is not None:
        return shared
    if key == "status" and method == "GET":
        return json_resp(200, {"version": state.settings["version"], "resourceVersion": state.store.rv,
                               "objects": len(state.store.objects), "controller": state.controller,
                               "users": sorted(state.auth.users), "faults": [f.describe() for f in state.faults],
                               "requests": len(state.requests)})
    if key == "settings" and method == "POST":
        if "version" in body:
            v = str(body["version"])
            if not v.startswith("v") or len(v.lstrip("v").split(".")) < 2:
                raise ValueError("version looks like v1.32.4")
            state.settings["version"] = v
        return no_content()
    if key == "tokens" and method == "POST":
        return _token(state, body)
    if key == "tokens" and method == "GET":
        counts = {}
        for user in state.auth.tokens.values():
            counts[user] = counts.get(user, 0) + 1
        return json_resp(200, {"tokens_per_user": counts})
    if key == "tokens/revoke" and method == "POST":
        before = len(state.auth.tokens)
        state.auth.tokens = {t: u for t, u in state.auth.tokens.items()
                             if not (t == body.get("token") or u == body.get("user"))}
        state.auth.token_pods = {t: p for t, p in state.auth.token_pods.items() if t in state.auth.tokens}
        return json_resp(200, {"revoked": before - len(state.auth.tokens)})
    if key == "users" and method == "POST":
        user = state.auth.add_user(str(body["name"]), body.get("groups") or [], body.get("rules") or [],
                                   bool(body.get("allow_all", False)))
        return json_resp(200, user.describe())
    if key == "users" and method == "GET":
        return json_resp(200, {"users": [u.describe() for u in state.auth.users.values()]})
    if key == "rules" and method == "POST":
        user = state.auth.users.get(body.get("user"))
        if user is None:
            user = state.auth.add_user(str(body["user"]))
        rules = [auth.Rule(r) for r in body.get("rules") or []]
        user.rules = (user.rules if body.get("append") else []) + rules
        return json_resp(200, user.describe())
    if key == "controller":
        return _controller(state, method, body)
    if key == "compact" and method == "POST":
        state.store.compact()
        return json_resp(200, {"resourceVersion": state.store.rv})
    if key == "namespaces" and method == "POST":
        state.seed_namespace(str(body["name"]), body.get("labels"))
        return json_resp(200, state.store.get("/namespaces", "", str(body["name"])))
    if key == "objects" and method == "POST":
        return _external_write(state, body)
    if key == "objects" and method == "GET":
        res = _resource(query.get("resource", "secrets"), query.get("group"))
        objs = state.store.list(res.key, query.get("namespace"))
        return json_resp(200, {"resourceVersion": state.store.rv, "items": objs})
    return error(404, "no control endpoint %s %s" % (method, "/_double/" + key))


def _token(state, body):
    name = str(body.get("user") or "")
    if not name:
        raise ValueError("give a user")
    if name not in state.auth.users or "groups" in body or "rules" in body or "allow_all" in body:
        old = state.auth.users.get(name)
        state.auth.add_user(name, body.get("groups", old.groups if old else auth.service_account_groups(name)),
                            body.get("rules", [r.spec for r in old.rules] if old else []),
                            bool(body.get("allow_all", old.allow_all if old else False)))
    token = str(body.get("token") or auth.new_token())
    state.auth.tokens[token] = name
    if "audiences" in body:  # a service-account token bound to these audiences (for TokenReviews)
        state.auth.token_audiences[token] = [str(a) for a in body["audiences"]]
    pod = body.get("pod")
    if pod is not None:  # a token bound to a pod (kubelet-projected): TokenReviews answer user.extra
        if not isinstance(pod, dict) or not isinstance(pod.get("name"), str) or not pod["name"] \
                or not isinstance(pod.get("uid", ""), str):
            raise ValueError('pod must be {"name": "<pod name>", "uid": "<pod uid>"}')
        state.auth.token_pods[token] = {"name": pod["name"], "uid": pod.get("uid") or auth.new_uid()}
    return json_resp(200, {"token": token, "user": name})


def _controller(state, method, body):
    if method == "GET":
        return json_resp(200, state.controller)
    if method != "POST":
        return error(405, "use GET or POST")
    target = state.controller
    if body.get("workload"):
        target = state.controller["workloads"].setdefault(str(body["workload"]), {})
    for k in CONTROLLER_KEYS:
        if k in body:
            if k in ("stuck", "paused"):
                target[k] = bool(body[k])
            elif k == "daemonset_nodes":
                target[k] = int(body[k])
            else:
                target[k] = float(body[k])
                if target[k] < 0:
                    raise ValueError("seconds_per_pod must be >= 0")
    return json_resp(200, state.controller)


def _resource(plural, group=None):
    for r in R.RESOURCES:
        if r.plural == plural and (group is None or r.group == group) and r.storage:
            return r
    raise ValueError("unknown resource %r" % plural)


def _external_write(state, body):
    """A write by "another client": bypasses authentication, authorization, faults and the request log,
    but goes through the same validation, resourceVersion bump and watch events as any API write.

    {"resource": "secrets", "group": "", "namespace": "ns", "name": "x",
     "op": "touch" | "merge" | "replace" | "create" | "delete", "patch": {...}, "object": {...}}"""
    res = _resource(body.get("resource", "secrets"), body.get("group"))
    op = body.get("op", "touch")
    req = Request({"create": "POST", "delete": "DELETE"}.get(op, "PUT"), "", {}, {}, b"", None)
    req.res, req.ns, req.name = res, body.get("namespace") if res.namespaced else None, body.get("name")
    if op == "create":
        resp = rest.create(state, req, deep(body["object"]))
        return resp
    old = state.store.get(res.key, req.ns, req.name)
    if old is None:
        return error(404, "%s %s/%s not found" % (res.plural, req.ns, req.name))
    if op == "delete":
        rest.delete_object(state, req, old, {})
        return json_resp(200, {"deleted": req.name, "resourceVersion": state.store.rv})
    if op == "touch":
        new = deep(old)
        ann = new["metadata"].setdefault("annotations", {})
        ann["double.keyd.io/external-writes"] = str(int(ann.get("double.keyd.io/external-writes", "0")) + 1)
    elif op == "merge":
        new = merge_patch(old, body.get("patch") or {})
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
    elif op == "replace":
        new = deep(body["object"])
        new.setdefault("metadata", {})["resourceVersion"] = old["metadata"]["resourceVersion"]
        new.setdefault("kind", res.kind)
        new.setdefault("apiVersion", res.api_version)
    else:
        raise ValueError("op must be touch, merge, replace, create or delete")
    rest._check_identity(req, new, req.name)
    _, stored = rest.write(state, req, new, old, "status" if body.get("status") else None)
    return Resp(200, dumps(stored).encode(), {"Content-Type": "application/json"})
