"""Patches: JSON merge patch (RFC 7386), strategic merge patch (the directives kubectl sends), JSON patch (RFC 6902)."""

import json

from .util import ApiError, deep

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
ACCEPTED = [JSON_PATCH, MERGE_PATCH, APPLY, STRATEGIC]

# strategic-merge metadata of the types served (patchMergeKey by field name; the same names mean the
# same thing everywhere in these types). Lists not named here are atomic (replaced).
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "volumes": "name",
    "imagePullSecrets": "name", "env": "name", "ports": "containerPort", "volumeMounts": "mountPath",
    "volumeDevices": "devicePath", "hostAliases": "ip", "ownerReferences": "uid", "conditions": "type",
    "topologySpreadConstraints": "topologyKey", "resourceClaims": "name", "schedulingGates": "name",
    "readinessGates": "conditionType", "secrets": "name",
}
PRIMITIVE_MERGE = {"finalizers"}   # lists of scalars merged as sets


def _bad(msg):
    return ApiError(400, "BadRequest", msg)


def _invalid(msg):
    return ApiError(422, "Invalid", msg)


def decode(raw):
    try:
        return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad("error decoding patch: %s" % exc)


# ------------------------------------------------------------------ RFC 7386
def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return deep(patch)
    out = deep(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


# ------------------------------------------------------------------ strategic merge
def strategic_merge(original, patch):
    if not isinstance(patch, dict):
        raise _bad("unable to find api field in struct: patch is not an object")
    return _merge_map(deep(original) if isinstance(original, dict) else {}, patch)


def _merge_map(orig, patch):
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: deep(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    if directive not in (None, "merge"):
        raise _bad("Unknown patch type: %s in map: %s" % (directive, json.dumps(patch)))
    retain = patch.get("$retainKeys")
    orders = {}
    for k, v in patch.items():
        if k.startswith("$setElementOrder/"):
            orders[k.split("/", 1)[1]] = v
    for k, v in patch.items():
        if k in ("$patch", "$retainKeys") or k.startswith("$setElementOrder/"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            if isinstance(orig.get(field), list) and isinstance(v, list):
                orig[field] = [x for x in orig[field] if x not in v]
            continue
        if v is None:
            orig.pop(k, None)
            continue
        cur = orig.get(k)
        if isinstance(v, dict):
            merged = _merge_map(cur if isinstance(cur, dict) else {}, v)
            if merged is None:
                orig.pop(k, None)
            else:
                orig[k] = merged
        elif isinstance(v, list):
            orig[k] = _merge_list(k, cur if isinstance(cur, list) else [], v)
        else:
            orig[k] = v
    for field, order in orders.items():
        if isinstance(orig.get(field), list) and isinstance(order, list):
            orig[field] = _apply_order(field, orig[field], order)
    if isinstance(retain, list):
        for k in list(orig):
            if k not in retain:
                del orig[k]
    return orig


def _merge_key(field, items):
    """The list's patchMergeKey. `ports` is ambiguous by name: container ports merge by containerPort,
    Service ports by port (NetworkPolicy ports sit inside atomic rule lists, so they never get here)."""
    if field == "ports" and any(isinstance(x, dict) and "port" in x and "containerPort" not in x for x in items):
        return "port"
    return MERGE_KEYS.get(field)


def _merge_list(field, orig, patch):
    key = _merge_key(field, list(orig) + list(patch))
    if any(isinstance(x, dict) and x.get("$patch") == "replace" for x in patch):
        return [deep(x) for x in patch if not (isinstance(x, dict) and x.get("$patch") == "replace")]
    if field in PRIMITIVE_MERGE:
        out = list(orig)
        for x in patch:
            if x not in out:
                out.append(x)
        return out
    if key is None or not all(isinstance(x, dict) for x in patch):
        return [deep(x) for x in patch]
    out = [deep(x) for x in orig]
    for item in patch:
        if item.get("$patch") == "delete":
            out = [x for x in out if not (isinstance(x, dict) and x.get(key) == item.get(key))]
            continue
        if key not in item:
            raise _bad("map: %s does not contain declared merge key: %s" % (json.dumps(item), key))
        for i, x in enumerate(out):
            if isinstance(x, dict) and x.get(key) == item[key]:
                merged = _merge_map(x, item)
                if merged is None:
                    out.pop(i)
                else:
                    out[i] = merged
                break
        else:
            fresh = _merge_map({}, item)
            if fresh is not None:
                out.append(fresh)
    return out


def _apply_order(field, items, order):
    key = _merge_key(field, list(items) + list(order))

    def ident(x):
        return x.get(key) if key and isinstance(x, dict) else x
    wanted = [ident(o) if isinstance(o, dict) else o for o in order]
    ranked = [x for w in wanted for x in items if ident(x) == w]
    rest = [x for x in items if ident(x) not in wanted]
    return ranked + rest


# ------------------------------------------------------------------ RFC 6902
def _unescape(tok):
    return tok.replace("~1", "/").replace("~0", "~")


def _walk(doc, path):
    if path == "":
        return None, None
    if not path.startswith("/"):
        raise _invalid("invalid JSON pointer %r" % path)
    toks = [_unescape(t) for t in path[1:].split("/")]
    cur = doc
    for t in toks[:-1]:
        if isinstance(cur, dict) and t in cur:
            cur = cur[t]
        elif isinstance(cur, list) and t.isdigit() and int(t) < len(cur):
            cur = cur[int(t)]
        else:
            raise _invalid('doc is missing path: "%s": missing value' % path)
    return cur, toks[-1]


def _get(doc, path):
    parent, last = _walk(doc, path)
    if parent is None:
        return doc
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent[int(last)]
    raise _invalid('doc is missing path: "%s": missing value' % path)


def _add(doc, path, value):
    parent, last = _walk(doc, path)
    if parent is None:
        return value
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), value)
        else:
            raise _invalid('add operation does not apply: doc is missing path: "%s": missing value' % path)
    else:
        raise _invalid('add operation does not apply: doc is missing path: "%s": missing value' % path)
    return doc


def _remove(doc, path):
    parent, last = _walk(doc, path)
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise _invalid('remove operation does not apply: doc is missing path: "%s": missing value' % path)


def json_patch(doc, ops):
    if not isinstance(ops, list):
        raise _bad("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = deep(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op:
            raise _bad("Unexpected kind: missing op")
        kind, path = op["op"], op.get("path")
        if not isinstance(path, str):
            raise _bad("missing path")
        if kind == "add":
            doc = _add(doc, path, deep(op.get("value")))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            _get(doc, path)
            if path == "":
                doc = deep(op.get("value"))
            else:
                _remove(doc, path)
                doc = _add(doc, path, deep(op.get("value")))
        elif kind in ("move", "copy"):
            value = _get(doc, op.get("from", ""))
            if kind == "move":
                _remove(doc, op["from"])
            doc = _add(doc, path, deep(value))
        elif kind == "test":
            if _get(doc, path) != op.get("value"):
                raise _invalid("testing value %s failed: test failed" % path)
        else:
            raise _bad("Unexpected kind: %s" % kind)
    return doc


def apply(content_type, current, raw):
    """The patched object for a PATCH body of content_type (the media type without parameters)."""
    if content_type == APPLY:
        body = decode(raw)
        if not isinstance(body, dict):
            raise _bad("error decoding YAML: the double accepts apply patches written as JSON only")
        return strategic_merge(current, body)
    body = decode(raw)
    if content_type == JSON_PATCH:
        return json_patch(current, body)
    if content_type == MERGE_PATCH:
        if not isinstance(body, dict):
            raise _bad("error decoding patch: merge patch is not an object")
        return merge_patch(current, body)
    return strategic_merge(current, body)
