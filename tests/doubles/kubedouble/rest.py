"""The REST verbs on stored objects: get, list, create, update (PUT), patch, delete, deletecollection,
/status and /scale subresources, and the self-subject reviews. Called with the state lock held."""

import base64
import json
import secrets

from . import auth, patch as P
from .apps import selector_string
from .store import matches, parse_field_selector, parse_label_selector
from .strategies import strategy_for
from .table import TABLE_MEDIA, table, wants_table
from .util import (FieldError, already_exists, bad_request, canonical, conflict, deep, invalid, json_resp,
                   method_not_allowed, new_uid, not_found, rfc3339, success_status, unsupported_media)

NS_KEY = "/namespaces"
DROP_META = ("selfLink", "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds")


def dispatch(state, req):
    res = req.res
    if not res.storage:
        if req.verb != "create":
            raise method_not_allowed()
        return _review(state, req)
    if req.sub == "scale":
        return _scale(state, req)
    verb = req.verb
    if verb == "get":
        return _get(state, req)
    if verb == "list":
        return _list(state, req)
    if verb == "create":
        obj = req.body()
        return create(state, req, obj)
    if verb == "update":
        return _update(state, req, req.body())
    if verb == "patch":
        return _patch(state, req)
    if verb == "delete":
        return _delete(state, req)
    if verb == "deletecollection":
        return _delete_collection(state, req)
    raise method_not_allowed()


def _answer(req, status, obj):
    if "kind" not in obj:
        obj = {"kind": req.res.kind, "apiVersion": req.res.api_version, **obj}
    return json_resp(status, canonical(obj))


def _existing(state, req, name=None):
    obj = state.store.get(req.res.key, req.ns, name or req.name)
    if obj is None:
        raise not_found(req.res.group, req.res.plural, name or req.name)
    return obj


# ------------------------------------------------------------------ reads
def _get(state, req):
    obj = _existing(state, req)
    tv = wants_table(req.headers.get("Accept"))
    if tv and not req.sub:
        body = table(req.res, [obj], None, tv, req.query.get("includeObject", "PartialObjectMetadata"))
        return json_resp(200, body, content_type=TABLE_MEDIA % tv)
    return _answer(req, 200, deep(obj))


def _selected(state, req):
    lp = parse_label_selector(req.query.get("labelSelector"))
    fp = parse_field_selector(req.res.key, req.query.get("fieldSelector"), req.res.kind)
    return [o for o in state.store.list(req.res.key, req.ns) if matches(o, lp, fp)]


def _list(state, req):
    objs = _selected(state, req)
    meta = {"resourceVersion": str(state.store.rv)}
    limit = int(req.query.get("limit") or 0)
    token = req.query.get("continue")
    if token:
        try:
            start = json.loads(base64.urlsafe_b64decode(token.encode()))["start"]
        except (ValueError, KeyError, TypeError):
            raise bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        objs = [o for o in objs if _sort_key(o) > tuple(start)]
    if limit > 0 and len(objs) > limit:
        last = objs[limit - 1]
        meta["continue"] = base64.urlsafe_b64encode(json.dumps({"start": list(_sort_key(last))}).encode()).decode()
        meta["remainingItemCount"] = len(objs) - limit
        objs = objs[:limit]
    tv = wants_table(req.headers.get("Accept"))
    if tv:
        body = table(req.res, objs, meta["resourceVersion"], tv, req.query.get("includeObject", "PartialObjectMetadata"))
        if "continue" in meta:
            body["metadata"]["continue"] = meta["continue"]
        return json_resp(200, body, content_type=TABLE_MEDIA % tv)
    items = []
    for o in objs:
        item = deep(o)
        item.pop("kind", None)
        item.pop("apiVersion", None)
        items.append(item)
    return json_resp(200, {"kind": req.res.list_kind, "apiVersion": req.res.api_version, "metadata": meta,
                           "items": items})


def _sort_key(o):
    return (o["metadata"].get("namespace", ""), o["metadata"]["name"])


# ------------------------------------------------------------------ writes
def _check_identity(req, obj, name=None):
    if not isinstance(obj.get("metadata", {}), dict):
        raise bad_request("metadata must be an object")
    meta = obj.setdefault("metadata", {})
    kind = obj.get("kind")
    if kind and kind != req.res.kind:
        raise bad_request("the object provided is unrecognized (must be of type %s): kind %s does not match"
                          % (req.res.kind, kind))
    api_version = obj.get("apiVersion")
    if api_version and api_version != req.res.api_version:
        raise bad_request('the API version in the data (%s) does not match the expected API version (%s)'
                          % (api_version, req.res.api_version))
    if req.res.namespaced:
        if meta.get("namespace") and meta["namespace"] != req.ns:
            raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
        meta["namespace"] = req.ns
    else:
        meta.pop("namespace", None)
    if name is not None and meta.get("name") and meta["name"] != name:
        raise bad_request("the name of the object (%s) does not match the name on the URL (%s)" % (meta["name"], name))
    if name is not None:
        meta["name"] = name
    obj["kind"] = req.res.kind
    obj["apiVersion"] = req.res.api_version
    for k in DROP_META:
        meta.pop(k, None)


def create(state, req, obj):
    res, st = req.res, strategy_for(req.res)
    _check_identity(req, obj)
    meta = obj["metadata"]
    if not meta.get("name"):
        if meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(secrets.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
        else:
            raise invalid(res.group, res.kind, "", [FieldError("Required", "metadata.name",
                                                               "name or generateName is required")])
    name = meta["name"]
    if res.namespaced and state.store.get(NS_KEY, "", req.ns) is None:
        raise not_found("", "namespaces", req.ns)
    if state.store.get(res.key, req.ns, name) is not None:
        raise already_exists(res.group, res.plural, name)
    st.decode(obj)
    st.default(obj)
    st.on_create(obj)
    errs = st.validate_name(name) + st.validate(obj)
    if errs:
        raise invalid(res.group, res.kind, name, errs)
    meta.pop("resourceVersion", None)
    meta["uid"] = new_uid()
    meta["creationTimestamp"] = rfc3339()
    if st.generation:
        meta["generation"] = 1
    if req.dry_run:
        return _answer(req, 201, obj)
    return _answer(req, 201, deep(state.store.put(res.key, obj, "ADDED")))


def write(state, req, new, old, sub=None):
    """Finish an update of old into new (both full objects); returns (status, stored object)."""
    res, st = req.res, strategy_for(req.res)
    name = old["metadata"]["name"]
    if sub == "status":
        cand = deep(old)
        cand["status"] = new.get("status")
        if cand["status"] is None:
            cand.pop("status")
        cand["metadata"]["resourceVersion"] = new["metadata"].get("resourceVersion")
        new = cand
    else:
        st.decode(new)
        if st.status_sub:
            if "status" in old:
                new["status"] = deep(old["status"])
            else:
                new.pop("status", None)
        st.default(new)
    meta, old_meta = new["metadata"], old["metadata"]
    if meta.get("uid") and meta["uid"] != old_meta.get("uid"):
        raise invalid(res.group, res.kind, name, [FieldError("Invalid", "metadata.uid", "field is immutable", meta["uid"])])
    meta["uid"] = old_meta["uid"]
    meta["creationTimestamp"] = old_meta["creationTimestamp"]
    if st.generation:
        meta["generation"] = old_meta.get("generation", 1)
        if sub != "status" and st.spec_of(new) != st.spec_of(old):
            meta["generation"] += 1
    errs = st.validate(new) + st.validate_update(new, old)
    if errs:
        raise invalid(res.group, res.kind, name, errs)
    a, b = deep(new), deep(old)
    a["metadata"].pop("resourceVersion", None)
    b["metadata"].pop("resourceVersion", None)
    if a == b:
        return 200, deep(old)             # no-op: no write, no new resourceVersion, no event
    if req.dry_run:
        new["metadata"]["resourceVersion"] = old_meta["resourceVersion"]
        return 200, new
    return 200, deep(state.store.put(res.key, new, "MODIFIED"))


def _update(state, req, obj):
    res, st = req.res, strategy_for(req.res)
    _check_identity(req, obj, req.name)
    old = state.store.get(res.key, req.ns, req.name)
    if old is None:
        if st.create_on_update and not req.sub:
            if not obj["metadata"].get("resourceVersion"):
                return create(state, req, obj)
        raise not_found(res.group, res.plural, req.name)
    rv = obj["metadata"].get("resourceVersion")
    if not rv:
        if not st.unconditional_update:
            raise invalid(res.group, res.kind, req.name, [FieldError("Invalid", "metadata.resourceVersion",
                                                                   "must be specified for an update", "0x0")])
    elif rv != old["metadata"]["resourceVersion"]:
        _check_rv_syntax(rv)
        raise conflict(res.group, res.plural, req.name)
    status, stored = write(state, req, obj, old, req.sub)
    return _answer(req, status, stored)


def _check_rv_syntax(rv):
    if not str(rv).isdigit():
        raise bad_request('invalid resource version: strconv.ParseUint: parsing "%s": invalid syntax' % rv)


def _patch(state, req):
    res = req.res
    ctype = req.content_type
    if ctype not in P.ACCEPTED:
        raise unsupported_media(P.ACCEPTED)
    if ctype == P.APPLY and not req.query.get("fieldManager"):
        raise invalid("meta.k8s.io", "PatchOptions", "", [FieldError("Required", "fieldManager",
                                                                     "is required for apply patch")])
    old = state.store.get(res.key, req.ns, req.name)
    if old is None:
        if ctype != P.APPLY or req.sub:
            raise not_found(res.group, res.plural, req.name)
        base = {"apiVersion": res.api_version, "kind": res.kind, "metadata": {"name": req.name}}
        obj = P.apply(ctype, base, req.raw)
        return create(state, req, obj)
    new = P.apply(ctype, deep(old), req.raw)
    if not isinstance(new, dict):
        raise bad_request("the patched document is not an object")
    _check_identity(req, new, req.name)
    rv = new["metadata"].get("resourceVersion")
    if rv and rv != old["metadata"]["resourceVersion"]:
        _check_rv_syntax(rv)
        raise conflict(res.group, res.plural, req.name)
    status, stored = write(state, req, new, old, req.sub)
    return _answer(req, status, stored)


def _delete_options(req):
    if not req.raw:
        return {}
    try:
        opts = json.loads(req.raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        if req.content_type.startswith("application/vnd.kubernetes.protobuf"):
            return {}
        raise bad_request("the body of the request was in an unknown format")
    return opts if isinstance(opts, dict) else {}


def delete_object(state, req, obj, opts):
    res, st = req.res, strategy_for(req.res)
    name = obj["metadata"]["name"]
    pre = opts.get("preconditions") or {}
    if pre.get("uid") and pre["uid"] != obj["metadata"].get("uid"):
        raise conflict(res.group, res.plural, name, "Precondition failed: UID in precondition: %s, UID in object meta: %s"
                       % (pre["uid"], obj["metadata"].get("uid")))
    if pre.get("resourceVersion") and pre["resourceVersion"] != obj["metadata"]["resourceVersion"]:
        raise conflict(res.group, res.plural, name, "Precondition failed: ResourceVersion in precondition: %s, "
                       "ResourceVersion in object meta: %s" % (pre["resourceVersion"], obj["metadata"]["resourceVersion"]))
    if req.dry_run or opts.get("dryRun") == ["All"]:
        return deep(obj)
    if res.key == NS_KEY:
        for (rkey, ns, n) in [k for k in state.store.objects if k[1] == name and k[0] != NS_KEY]:
            state.store.delete(rkey, ns, n)
    gone = deep(state.store.delete(res.key, obj["metadata"].get("namespace", ""), name))
    if res.plural == "pods":
        gone["metadata"]["deletionTimestamp"] = rfc3339()
        gone["metadata"]["deletionGracePeriodSeconds"] = int(opts.get("gracePeriodSeconds", 30) or 0)
    if res.plural == "namespaces":
        gone["metadata"]["deletionTimestamp"] = rfc3339()
        gone["status"] = {"phase": "Terminating"}
    return gone if st.return_deleted else None


def _delete(state, req):
    obj = _existing(state, req)
    gone = delete_object(state, req, obj, _delete_options(req))
    if gone is not None:
        return _answer(req, 200, gone)
    return json_resp(200, success_status(req.name, req.res.group, req.res.plural, obj["metadata"].get("uid")))


def _delete_collection(state, req):
    opts = _delete_options(req)
    items = []
    for obj in _selected(state, req):
        delete_object(state, req, obj, opts)
        item = deep(obj)
        item.pop("kind", None)
        item.pop("apiVersion", None)
        items.append(item)
    return json_resp(200, {"kind": req.res.list_kind, "apiVersion": req.res.api_version,
                           "metadata": {"resourceVersion": str(state.store.rv)}, "items": items})


# ------------------------------------------------------------------ /scale
def _scale_of(obj):
    meta = obj["metadata"]
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in meta},
            "spec": {"replicas": obj["spec"].get("replicas", 0)},
            "status": {"replicas": (obj.get("status") or {}).get("replicas", 0),
                       "selector": selector_string(obj["spec"].get("selector") or {})}}


def _scale(state, req):
    old = _existing(state, req)
    if req.verb == "get":
        return json_resp(200, _scale_of(old))
    if req.verb == "update":
        scale = req.body()
    else:
        if req.content_type not in P.ACCEPTED or req.content_type == P.APPLY:
            raise unsupported_media(P.ACCEPTED[:2] + P.ACCEPTED[3:])
        scale = P.apply(req.content_type, _scale_of(old), req.raw)
    rv = (scale.get("metadata") or {}).get("resourceVersion")
    if rv and rv != old["metadata"]["resourceVersion"]:
        raise conflict(req.res.group, req.res.plural, req.name)
    replicas = (scale.get("spec") or {}).get("replicas", 0)
    if not isinstance(replicas, int) or replicas < 0:
        raise invalid("autoscaling", "Scale", req.name, [FieldError("Invalid", "spec.replicas",
                                                                    "must be greater than or equal to 0", replicas)])
    new = deep(old)
    new["spec"]["replicas"] = replicas
    _, stored = write(state, req, new, old)
    return json_resp(200, _scale_of(stored))


# ------------------------------------------------------------------ reviews
def _review(state, req):
    obj = req.body()
    if req.res.plural == "selfsubjectreviews":
        user = req.user
        return json_resp(201, {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
                               "metadata": {"creationTimestamp": None},
                               "status": {"userInfo": {"username": user.name, "groups": user.all_groups()}}})
    if req.res.plural == "tokenreviews":
        spec = obj.get("spec") or {}
        token = spec.get("token")
        if not isinstance(token, str) or not token:
            raise invalid(req.res.group, req.res.kind, "", [FieldError("Required", "spec.token", "Required value", "")])
        status = state.auth.token_review(token, spec.get("audiences") or [])
        # The token is never echoed back, as the apiserver does.
        return json_resp(201, {"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1",
                               "metadata": {"creationTimestamp": None},
                               "spec": {"audiences": spec.get("audiences") or []}, "status": status})
    if req.res.plural == "selfsubjectrulesreviews":
        spec = obj.get("spec") or {}
        namespace = spec.get("namespace") if isinstance(spec, dict) else None
        if not isinstance(namespace, str) or not namespace:
            raise bad_request("no namespace on request")
        return json_resp(201, {"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1",
                               "metadata": {"creationTimestamp": None}, "spec": {"namespace": namespace},
                               "status": auth.rules_review(req.user, namespace)})
    spec = obj.get("spec") or {}
    status, err = auth.access_review(req.user, spec)
    if err:
        field, _, detail = err.partition(": ")
        raise invalid(req.res.group, req.res.kind, "", [FieldError("Invalid", field, detail.split(": ", 1)[-1], "")])
    return json_resp(201, {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                           "metadata": {"creationTimestamp": None}, "spec": spec, "status": status})

