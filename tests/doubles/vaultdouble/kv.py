"""KV secrets engine, version 2: data, metadata, delete/undelete/destroy, config, list.

Behaviour follows vault-plugin-secrets-kv (read from its public source, not copied):
- version pruning: effective max_versions = max(key, engine config), 10 when both are 0;
  oldest_version stays 0 until the window first fills, exactly like Vault's AddVersion;
- a soft-deleted or destroyed version reads as 404 with the full envelope and data.data null;
- a missing key or version reads as 404 {"errors":[]};
- CAS errors carry Vault's exact text.
"""

import re

from . import kv_meta
from .kvstore import CAS_MISMATCH, CAS_REQUIRED, MOUNT_TYPE, KeyMeta, KVMount, merge_patch, version_meta
from .util import (error, go_duration, not_found, now_ns, ok, ok_or_204, parse_duration,
                   unsupported_operation, unsupported_path, weak_bool, weak_int)


def _check_cas(mount, meta, body):
    options = body.get("options")
    if options is None:
        options = {}
    if not isinstance(options, dict):
        return error(400, "error converting input for field \"options\": expected a map")
    if "cas" in options:
        try:
            cas = weak_int(options["cas"])
        except ValueError:
            return error(400, "error parsing check-and-set parameter")
        if cas != meta.current:
            return error(400, CAS_MISMATCH)
    elif mount.cas_required or meta.cas_required:
        return error(400, CAS_REQUIRED)
    return None


def _versions_arg(body):
    raw = body.get("versions")
    if isinstance(raw, str):
        raw = [p for p in raw.split(",") if p.strip()]
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raw = [raw]
    if not raw or not isinstance(raw, list):
        return None
    return [weak_int(v) for v in raw]


def split(rest):
    """('config'|'data'|'metadata'|'delete'|'undelete'|'destroy'|'subkeys'|None, key path)."""
    if rest == "config":
        return "config", ""
    if rest == "metadata":
        return "metadata", ""
    m = re.match(r"(data|metadata|delete|undelete|destroy|subkeys)/(.*)$", rest, re.S)
    if not m:
        return None, rest
    return m.group(1), m.group(2)


def exists(mount, rest):
    """Vault's existence check, deciding create vs update for ACLs."""
    kind, key = split(rest)
    if kind in ("data", "metadata"):
        return key in mount.keys
    return True


def handle(mount, rest, op, body, query):
    """op: read | list | write | delete | patch. Returns a Resp."""
    kind, key = split(rest)
    if kind is None:
        return unsupported_path()
    if kind == "config":
        return _config(mount, op, body)
    if kind == "metadata" and op == "list":
        return _list(mount, key)
    if op == "list":
        return unsupported_operation() if kind == "data" else unsupported_path()
    if kind in ("data", "delete", "undelete", "destroy", "subkeys") and (key == "" or key.endswith("/")):
        return unsupported_path()
    if kind == "data":
        return {"read": _data_read, "write": _data_write, "delete": _data_delete,
                "patch": _data_patch}[op](mount, key, body, query)
    if kind == "metadata":
        if key == "":
            return unsupported_path()
        return {"read": kv_meta.meta_read, "write": kv_meta.meta_write, "delete": kv_meta.meta_delete,
                "patch": kv_meta.meta_patch}[op](mount, key, body, query)
    if kind == "subkeys":
        return _subkeys(mount, key, op, query)
    if op != "write":
        return unsupported_operation()
    return _versions_op(mount, kind, key, body)


def _config(mount, op, body):
    if op == "read":
        return ok({"cas_required": mount.cas_required, "delete_version_after": go_duration(mount.dva),
                   "max_versions": mount.max_versions}, mount_type=MOUNT_TYPE)
    if op != "write":
        return unsupported_operation()
    try:
        if "max_versions" in body:
            mount.max_versions = weak_int(body["max_versions"])
        if "cas_required" in body:
            mount.cas_required = weak_bool(body["cas_required"])
        if "delete_version_after" in body:
            mount.dva = parse_duration(body["delete_version_after"])
    except ValueError as exc:
        return error(400, str(exc))
    return ok_or_204()


def _list(mount, prefix):
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    keys = set()
    for k in mount.keys:
        if k.startswith(prefix):
            rest = k[len(prefix):]
            if rest == "":
                continue
            keys.add(rest.split("/", 1)[0] + "/" if "/" in rest else rest)
    if not keys:
        return not_found()
    return ok({"keys": sorted(keys)}, mount_type=MOUNT_TYPE)


def _data_read(mount, key, body, query):
    meta = mount.keys.get(key)
    if meta is None:
        return not_found()
    number = meta.current
    if "version" in query:
        try:
            wanted = weak_int(query["version"])
        except ValueError:
            return error(400, 'error converting input %s for field "version"' % query["version"])
        if wanted > 0:
            number = wanted
    v = meta.versions.get(number)
    if v is None:
        return not_found()
    vm = version_meta(meta, number, v)
    data = {"data": None, "metadata": vm}
    if v.is_deleted(now_ns()) or v.destroyed:
        return ok(data, mount_type=MOUNT_TYPE, status=404)
    data["data"] = v.data
    return ok(data, mount_type=MOUNT_TYPE)


def _data_payload(body):
    if body.get("data") is None:
        return None, error(400, "no data provided")
    if not isinstance(body["data"], dict):
        return None, error(400, 'error converting input for field "data": expected a map')
    return body["data"], None


def _data_write(mount, key, body, query):
    data, err = _data_payload(body)
    if err:
        return err
    meta = mount.keys.get(key)
    fresh = meta is None
    if fresh:
        meta = KeyMeta(now_ns())
    err = _check_cas(mount, meta, body)
    if err:
        return err
    if fresh:
        mount.keys[key] = meta
    v = mount._add_version(meta, data)
    if fresh:
        meta.created = v.created
    return ok(version_meta(meta, meta.current, v), mount_type=MOUNT_TYPE)


def _data_patch(mount, key, body, query):
    patch, err = _data_payload(body)
    if err:
        return err
    meta = mount.keys.get(key)
    if meta is None:
        return not_found()
    err = _check_cas(mount, meta, body)
    if err:
        return err
    cur = meta.versions.get(meta.current)
    if cur is None:
        return not_found()
    if cur.is_deleted(now_ns()) or cur.destroyed:
        return ok(version_meta(meta, meta.current, cur), mount_type=MOUNT_TYPE, status=404)
    v = mount._add_version(meta, merge_patch(cur.data, patch))
    return ok(version_meta(meta, meta.current, v), mount_type=MOUNT_TYPE)


def _data_delete(mount, key, body, query):
    meta = mount.keys.get(key)
    if meta is not None:
        lv = meta.versions.get(meta.current)
        now = now_ns()
        if lv is not None and not lv.destroyed and not lv.is_deleted(now):
            lv.deletion = now
    return ok_or_204()


def _versions_op(mount, kind, key, body):
    try:
        versions = _versions_arg(body)
    except ValueError as exc:
        return error(400, str(exc))
    if not versions:
        return error(400, "no version number provided")
    meta = mount.keys.get(key)
    if meta is None:
        return ok_or_204()
    now = now_ns()
    for n in versions:
        v = meta.versions.get(n)
        if v is None:
            continue
        if kind == "delete":
            if not v.destroyed and not v.is_deleted(now):
                v.deletion = now
        elif kind == "undelete":
            if not v.destroyed:
                v.deletion = None
        else:  # destroy
            v.destroyed = True
            v.data = None
    return ok_or_204()


def _subkeys(mount, key, op, query):
    if op != "read":
        return unsupported_operation()
    meta = mount.keys.get(key)
    if meta is None:
        return not_found()
    number = meta.current
    if "version" in query:
        try:
            number = weak_int(query["version"]) or meta.current
        except ValueError:
            return error(400, 'error converting input %s for field "version"' % query["version"])
    v = meta.versions.get(number)
    if v is None:
        return not_found()
    vm = version_meta(meta, number, v)
    vm.pop("custom_metadata", None)
    if v.is_deleted(now_ns()) or v.destroyed:
        return ok({"subkeys": None, "metadata": vm}, mount_type=MOUNT_TYPE, status=404)

    def strip(d):
        return {k: strip(x) if isinstance(x, dict) else None for k, x in d.items()}
    return ok({"subkeys": strip(v.data), "metadata": vm}, mount_type=MOUNT_TYPE)


__all__ = ["KVMount", "handle", "exists", "split"]
