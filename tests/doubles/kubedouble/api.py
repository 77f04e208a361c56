"""Routing of /api and /apis requests: path parsing, verbs, authorization, body decoding, dispatch."""

import json

from . import auth, discovery, protobuf, rest, watch
from . import resources as R
from .store import selector_name
from .util import ApiError, bad_request, method_not_allowed, resource_not_found, unsupported_media

BODY_TYPES = ["application/json", "application/yaml", protobuf.MEDIA]


class Request:
    def __init__(self, method, path, query, headers, raw, user):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.raw = raw
        self.user = user
        self.res = self.ns = self.name = self.sub = self.verb = None

    @property
    def content_type(self):
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def dry_run(self):
        return self.query.get("dryRun") == "All"

    def attrs(self):
        if self.res is None:
            return {"verb": self.verb, "path": self.path}
        name = self.name or ""
        if not name and self.verb in ("list", "watch"):
            name = selector_name(self.query.get("fieldSelector"))
        return {"verb": self.verb, "group": self.res.group, "resource": self.res.plural,
                "subresource": self.sub or "", "namespace": self.ns or "", "name": name}

    def body(self):
        """The request body as a JSON-shaped dict (JSON, or the protobuf kinds kubectl sends)."""
        if not self.raw:
            raise bad_request("the body of the request was empty")
        if protobuf.is_protobuf(self.content_type):
            try:
                return protobuf.decode(self.raw)
            except protobuf.ProtobufError as exc:
                raise ApiError(415, "UnsupportedMediaType", str(exc))
        if self.content_type and self.content_type not in BODY_TYPES:
            raise unsupported_media(BODY_TYPES)
        try:
            obj = json.loads(self.raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            if self.content_type == "application/yaml":
                raise unsupported_media(["application/json", protobuf.MEDIA + " (the double reads no YAML)"])
            raise bad_request("couldn't get version/kind; json parse error: %s" % exc)
        if not isinstance(obj, dict):
            raise bad_request("couldn't get version/kind; json parse error: json: cannot unmarshal %s into Go "
                              "value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind "
                              "string \"json:\\\"kind,omitempty\\\"\" }" % type(obj).__name__)
        return obj


def parse(req):
    """Fill req.res/ns/name/sub/verb from the path; False when the path is not a resource path."""
    parts = [p for p in req.path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, version, rest_ = "", "v1", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, version, rest_ = parts[1], parts[2], parts[3:]
    else:
        return False
    if not rest_:
        return False
    if rest_[0] == "namespaces" and len(rest_) >= 3 and (group, version, rest_[2]) in R.BY_PATH \
            and R.BY_PATH[(group, version, rest_[2])].namespaced:
        req.ns = rest_[1]
        rest_ = rest_[2:]
    res = R.BY_PATH.get((group, version, rest_[0]))
    if res is None or len(rest_) > 3:
        raise resource_not_found()
    req.res = res
    req.name = rest_[1] if len(rest_) > 1 else None
    req.sub = rest_[2] if len(rest_) > 2 else None
    if req.sub is not None and req.sub not in res.subresources:
        raise resource_not_found()
    if req.ns is not None and not res.namespaced:
        raise resource_not_found()
    m = req.method
    if m == "GET":
        req.verb = "get" if req.name else ("watch" if req.query.get("watch") in ("1", "true", "True") else "list")
    elif m == "POST":
        req.verb = "create"
    elif m == "PUT":
        req.verb = "update"
    elif m == "PATCH":
        req.verb = "patch"
    elif m == "DELETE":
        req.verb = "delete" if req.name else "deletecollection"
    else:
        raise method_not_allowed()
    if req.verb not in res.verbs:
        raise method_not_allowed()
    if res.namespaced and req.ns is None and req.verb not in ("list", "watch") and res.storage:
        raise resource_not_found()
    if req.verb == "create" and req.name:
        raise method_not_allowed()
    if req.verb in ("update", "patch") and not req.name:
        raise method_not_allowed()
    return True


def non_resource_verb(method):
    return {"GET": "get", "HEAD": "head", "POST": "post", "PUT": "put", "PATCH": "patch",
            "DELETE": "delete"}.get(method, method.lower())


def handle(state, req, host):
    """Answer one authenticated request (state.lock is taken here, not by the caller)."""
    is_resource = parse(req)
    if not is_resource:
        req.verb = non_resource_verb(req.method)
        ok, _ = auth.allowed(req.user, req.attrs())
        if not ok:
            raise auth.forbidden(req.user, req.attrs())
        if req.method not in ("GET", "HEAD"):
            raise method_not_allowed() if req.path.startswith(("/api", "/apis")) else ApiError(
                404, "NotFound", "the server could not find the requested resource", {})
        with state.lock:
            resp = discovery.handle(state, req.path, req.headers, host)
        if resp is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
        return resp
    ok, _ = auth.allowed(req.user, req.attrs())
    if not ok:
        raise auth.forbidden(req.user, req.attrs())
    if req.verb == "watch":
        return watch.start(state, req)
    with state.lock:
        return rest.dispatch(state, req)
