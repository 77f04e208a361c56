"""The test control API under /_double/ (never under /v1/). No authentication: loopback only.

Bodies and answers are JSON. Token values appear only in the answer to POST /_double/tokens
(the caller asked for them) and AppRole role_id/secret_id in the answer to POST /_double/approle/roles.
"""

from doublekit import control as kit

from . import util
from .auth import Token, compile_rules, parse_hcl, role_from_control
from .util import error, json_resp, no_content, now_ns, parse_duration, weak_int


def handle(state, method, path, query, raw):
    return kit.handle(state, method, path, query, raw, _route, error)


def _route(state, method, parts, query, body):
    key = "/".join(parts)
    shared = kit.common(state, method, parts, body, _route, util)
    if shared is not None:
        return shared
    if key == "status" and method == "GET":
        now = now_ns()
        return json_resp(200, {
            "sealed": state.sealed, "standby": state.standby, "initialized": state.initialized,
            "require_request_header": state.require_request_header, "version": state.version,
            "mounts": sorted(state.mount_defs), "policies": sorted(state.auth.policies),
            "tokens": [t.public(now) for t in state.auth.tokens.values()],
            "faults": [f.describe() for f in state.faults], "requests": len(state.requests)})
    if key == "seal" and method == "POST":
        state.sealed = True
        return no_content()
    if key == "unseal" and method == "POST":
        state.sealed = False
        return no_content()
    if key == "settings" and method == "POST":
        for name in ("standby", "performance_standby", "initialized", "require_request_header", "sealed"):
            if name in body:
                setattr(state, name, bool(body[name]))
        for name in ("version", "cluster_name"):
            if name in body:
                setattr(state, name, str(body[name]))
        return no_content()
    if key == "tokens":
        return _tokens(state, method, body)
    if key == "tokens/expire" and method == "POST":
        return _expire(state, body)
    if key in ("approle/roles", "kubernetes/roles") and method == "POST":
        return _role(state, parts[0], body)
    if parts[:1] == ["policies"]:
        return _policies(state, method, parts[1:], body)
    if key == "mounts" and method == "POST":
        state.add_mount(body["path"], weak_int(body.get("max_versions", 0)), bool(body.get("cas_required", False)),
                        parse_duration(body.get("delete_version_after", 0) or 0))
        return no_content()
    if key == "kv" and method == "POST":
        ns = str(body.get("namespace", "")).strip("/")
        mount = str(body.get("mount", "secret")).strip("/")
        if mount not in state.mount_defs:
            return error(400, "no such mount %r" % mount)
        if not isinstance(body.get("data"), dict):
            return error(400, "data must be an object")
        version = state.kv_mount(ns, mount).seed(str(body["path"]).strip("/"), body["data"])
        return json_resp(200, {"version": version})
    return error(404, "no control endpoint %s %s" % (method, "/_double/" + key))


def _tokens(state, method, body):
    if method == "GET":
        now = now_ns()
        return json_resp(200, {"tokens": [t.public(now) for t in state.auth.tokens.values()]})
    if method != "POST":
        return error(405, "use GET or POST")
    policies = body.get("policies")
    if policies is None:
        policies = ["root"]
    if isinstance(policies, str):
        policies = [p.strip() for p in policies.split(",") if p.strip()]
    policies = list(policies)
    if "root" not in policies and not body.get("no_default_policy", False):
        policies.append("default")
    ttl = parse_duration(body.get("ttl", 0) or 0)
    tok = Token(policies, ttl=ttl, renewable=body.get("renewable", True),
                num_uses=weak_int(body.get("num_uses", 0) or 0),
                explicit_max_ttl=parse_duration(body.get("explicit_max_ttl", 0) or 0),
                meta=body.get("meta"), display_name=body.get("display_name", "token"),
                token_id=body.get("id"))
    state.auth.add(tok)
    return json_resp(200, {"token": tok.id, "accessor": tok.accessor, "policies": tok.policies,
                           "ttl": tok.creation_ttl, "renewable": tok.renewable})


def _expire(state, body):
    now = now_ns()
    targets = []
    if body.get("all"):
        targets = [t for t in state.auth.tokens.values() if t.source != "root"]
    elif body.get("source"):
        targets = [t for t in state.auth.tokens.values() if t.source == body["source"]]
    elif body.get("token"):
        tok = state.auth.tokens.get(body["token"])
        targets = [tok] if tok else []
    elif body.get("accessor"):
        tok = state.auth.by_accessor(body["accessor"])
        targets = [tok] if tok else []
    else:
        return error(400, "give one of token, accessor, source or all")
    for tok in targets:
        tok.expire = now - 1
    return json_resp(200, {"expired": len(targets)})


def _role(state, kind, body):
    name, role = role_from_control(kind, body)
    mount = str(body.get("mount", kind)).strip("/")
    store = state.auth.approle if kind == "approle" else state.auth.kubernetes
    store.setdefault(mount, {})[name] = role
    if kind == "approle":
        return json_resp(200, {"role_id": role["role_id"], "secret_id": role["secret_ids"][0], "mount": mount})
    return json_resp(200, {"name": name, "mount": mount})


def _policies(state, method, rest, body):
    if method == "GET" and not rest:
        return json_resp(200, {"policies": {name: [{"path": r.path, "capabilities": sorted(r.caps)} for r in rules]
                                            for name, rules in state.auth.policies.items()}})
    if method == "DELETE" and len(rest) == 1:
        state.auth.policies.pop(rest[0], None)
        return no_content()
    if method == "POST" and not rest:
        name = body.get("name")
        if not name or name == "root":
            return error(400, "a policy needs a name other than root")
        rules = parse_hcl(body["hcl"]) if "hcl" in body else body.get("rules")
        if not isinstance(rules, list):
            return error(400, "give rules (a list of {path, capabilities}) or hcl")
        state.auth.policies[name] = compile_rules(rules)
        return no_content()
    return error(405, "unsupported policies call")
