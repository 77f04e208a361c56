"""The /v1/ API: health and seal status, sealed mode, token checks, ACLs, routing to engines."""

import json
import re

from . import kv
from .util import (Resp, denied, error, json_resp, now_ns, ok, unsupported_operation, weak_bool)

SEALED = "Vault is sealed"
LOGIN_RE = re.compile(r"auth/(.+)/login\Z", re.S)
_OPS = {"GET": "read", "LIST": "list", "POST": "write", "PUT": "write", "DELETE": "delete", "PATCH": "patch"}
MERGE_PATCH = "application/merge-patch+json"


def namespace_of(headers):
    ns = (headers.get("X-Vault-Namespace") or "").strip().strip("/")
    return "" if ns == "root" else ns


def token_of(headers):
    tok = headers.get("X-Vault-Token")
    if tok:
        return tok.strip()
    authz = headers.get("Authorization") or ""
    if authz[:7].lower() == "bearer ":
        return authz[7:].strip()
    return None


def _query_bool(query, name):
    if name not in query:
        return False
    value = query[name]
    if value == "":
        return True
    try:
        return weak_bool(value)
    except ValueError:
        return False


def health(state, method, query):
    if method not in ("GET", "HEAD"):
        return unsupported_operation()

    def code(name, default):
        if name not in query:
            return default
        return int(query[name])

    try:
        if not state.initialized:
            status = code("uninitcode", 501)
        elif state.sealed:
            status = code("sealedcode", 503)
        elif state.performance_standby and not _query_bool(query, "perfstandbyok"):
            status = code("performancestandbycode", 473)
        elif state.standby and not _query_bool(query, "standbyok"):
            status = code("standbycode", 429)
        else:
            status = code("activecode", 200)
    except ValueError:
        return error(400, "bad code")
    body = {
        "initialized": state.initialized,
        "sealed": state.sealed,
        "standby": state.standby,
        "performance_standby": state.performance_standby,
        "replication_performance_mode": "disabled",
        "replication_dr_mode": "disabled",
        "server_time_utc": now_ns() // 1_000_000_000,
        "version": state.version,
        "enterprise": False,
        "echo_duration_ms": 0,
        "clock_skew_ms": 0,
    }
    if not state.sealed and state.initialized:
        body["cluster_name"] = state.cluster_name
        body["cluster_id"] = state.cluster_id
    resp = json_resp(status, body)
    if method == "HEAD":
        resp.body = None
    return resp


def seal_status(state, method):
    if method != "GET":
        return unsupported_operation()
    body = {"type": "shamir", "initialized": state.initialized, "sealed": state.sealed, "t": 1, "n": 1,
            "progress": 0, "nonce": "", "version": state.version, "build_date": "2024-02-28T17:07:34Z",
            "migration": False, "recovery_seal": False, "storage_type": "inmem"}
    if not state.sealed:
        body["cluster_name"] = state.cluster_name
        body["cluster_id"] = state.cluster_id
    return json_resp(200, body)


def _parse_body(raw):
    if not raw or not raw.strip():
        return {}, None
    try:
        body = json.loads(raw)
    except ValueError as exc:
        return None, error(400, "failed to parse JSON input: %s" % exc)
    if body is None:
        return {}, None
    if not isinstance(body, dict):
        return None, error(400, "failed to parse JSON input: expected a JSON object")
    return body, None


def dispatch(state, method, rel, query, raw_body, headers):
    """Answer one /v1/ request. Runs with state.lock held."""
    if rel == "sys/health":
        return health(state, method, query)
    if rel == "sys/seal-status":
        return seal_status(state, method)
    if state.sealed or not state.initialized:
        return error(503, SEALED)
    if state.require_request_header and not headers.get("X-Vault-Request"):
        return error(412, "missing 'X-Vault-Request' header")
    op = _OPS.get(method)
    if op is None:
        return unsupported_operation()
    if op == "read" and _query_bool(query, "list"):
        op = "list"
    if op == "patch":
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != MERGE_PATCH:
            return error(415, "PATCH requires Content-Type of %s, provided %s" % (MERGE_PATCH, ctype))
    body, err = _parse_body(raw_body)
    if err:
        return err
    if op == "list" and not rel.endswith("/"):
        rel += "/"

    login = LOGIN_RE.match(rel)
    if login:
        mount = login.group(1)
        if mount == "approle" or mount in state.auth.approle:
            return state.auth.approle_login(mount, body) if op == "write" else unsupported_operation()
        if mount == "kubernetes" or mount in state.auth.kubernetes:
            return state.auth.kubernetes_login(mount, body) if op == "write" else unsupported_operation()

    tok = state.auth.find(token_of(headers))
    if tok is None:
        return denied()
    ns = namespace_of(headers)
    mount_name, rest = state.resolve_mount(rel)
    capability = {"read": "read", "list": "list", "delete": "delete", "patch": "patch"}.get(op)
    if op == "write":
        capability = "update"
        if mount_name is not None and not kv.exists(state.kv_mount(ns, mount_name), rest):
            capability = "create"
    if not state.auth.allowed(tok, rel, capability):
        return denied()
    state.auth.use(tok)

    if rel == "auth/token/lookup-self":
        return state.auth.lookup_self(tok) if op in ("read", "write") else unsupported_operation()
    if rel == "auth/token/renew-self":
        return state.auth.renew_self(tok, body) if op == "write" else unsupported_operation()
    if rel == "auth/token/revoke-self":
        return state.auth.revoke_self(tok) if op == "write" else unsupported_operation()
    if rel.startswith("sys/internal/ui/mounts/") and op == "read":
        name, _ = state.resolve_mount(rel[len("sys/internal/ui/mounts/"):])
        if name is None:
            return error(400, "cannot find mount for path %r" % rel)
        return ok({"type": "kv", "path": name + "/", "options": {"version": "2"}, "description": "",
                   "local": False, "seal_wrap": False, "external_entropy_access": False},
                  mount_type="system")
    if mount_name is not None:
        return kv.handle(state.kv_mount(ns, mount_name), rest, op, body, query)
    return error(404, 'no handler for route "%s". route entry not found.' % rel.rstrip("/"))


__all__ = ["dispatch", "namespace_of", "token_of", "Resp"]
