"""Helpers shared by the kube-apiserver double: time formats, JSON answers, Status bodies, field errors."""

import copy
import json
import time
import uuid


# ------------------------------------------------------------------ time
def now():
    return time.time()


def rfc3339(ts=None):
    """metav1.Time: whole seconds, UTC."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now() if ts is None else ts))


def micro_time(ts=None):
    """metav1.MicroTime: exactly six fraction digits, UTC."""
    ts = now() if ts is None else ts
    secs = int(ts)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + ".%06dZ" % int(round((ts - secs) * 1e6) % 1000000)


def parse_rfc3339(text):
    """Seconds since the epoch for an RFC3339 time (any fraction, Z or ±hh:mm), or None."""
    import datetime
    if not isinstance(text, str):
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def human_duration(seconds):
    """apimachinery's duration.HumanDuration (the AGE column)."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return "%ds" % s
    m = s // 60
    if m < 10:
        return "%dm%ds" % (m, s % 60) if s % 60 else "%dm" % m
    if m < 180:
        return "%dm" % m
    h = s // 3600
    if h < 8:
        return "%dh%dm" % (h, m % 60) if m % 60 else "%dh" % h
    if h < 48:
        return "%dh" % h
    if h < 24 * 8:
        return "%dd%dh" % (h // 24, h % 24) if h % 24 else "%dd" % (h // 24)
    if h < 24 * 365 * 2:
        return "%dd" % (h // 24)
    y = h // (24 * 365)
    if y < 8:
        return "%dy%dd" % (y, (h // 24) % 365)
    return "%dy" % y


def new_uid():
    return str(uuid.uuid4())


def deep(obj):
    return copy.deepcopy(obj)


# ------------------------------------------------------------------ answers
class Resp:
    """An HTTP answer: status, body bytes (or None), extra headers; stream=callable for watches."""

    def __init__(self, status, body=None, headers=None, stream=None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.stream = stream


def dumps(obj):
    # Go's json.Encoder: compact, HTML-safe is irrelevant here, trailing newline
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n"


def json_resp(status, obj, headers=None, content_type="application/json"):
    hdrs = {"Content-Type": content_type}
    hdrs.update(headers or {})
    return Resp(status, dumps(obj).encode("utf-8"), hdrs)


def text_resp(status, text):
    return Resp(status, text.encode(), {"Content-Type": "text/plain; charset=utf-8",
                                         "X-Content-Type-Options": "nosniff"})


def no_content():
    return Resp(204, None, {})


# ------------------------------------------------------------------ Status bodies
class ApiError(Exception):
    """Raised anywhere below the router; becomes a metav1.Status answer."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self):
        return status_body(self.code, self.reason, self.message, self.details)

    def resp(self):
        return json_resp(self.code, self.status(), self.headers)


def status_body(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message}
    if reason:
        body["reason"] = reason
    if details is not None:
        body["details"] = details
    body["code"] = code
    return body


def success_status(name, group, resource, uid):
    details = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = resource
    if uid:
        details["uid"] = uid
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def _details(name, group, resource):
    d = {}
    if name:
        d["name"] = name
    if group:
        d["group"] = group
    d["kind"] = resource
    return d


def qualified(group, resource):
    return resource + ("." + group if group else "")


def not_found(group, resource, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (qualified(group, resource), name),
                    _details(name, group, resource))


def already_exists(group, resource, name):
    return ApiError(409, "AlreadyExists", '%s "%s" already exists' % (qualified(group, resource), name),
                    _details(name, group, resource))


CONFLICT_TEXT = "the object has been modified; please apply your changes to the latest version and try again"


def conflict(group, resource, name, why=CONFLICT_TEXT):
    return ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": %s'
                    % (qualified(group, resource), name, why), _details(name, group, resource))


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def method_not_allowed():
    return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})


def resource_not_found():
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def unauthorized():
    return ApiError(401, "Unauthorized", "Unauthorized")


def gone(message):
    return ApiError(410, "Expired", message)


def unsupported_media(accepted):
    return ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                    "accepted media types include: " + ", ".join(accepted))


def not_acceptable(accepted):
    return ApiError(406, "NotAcceptable", "only the following media types are accepted: " + ", ".join(accepted))


# ------------------------------------------------------------------ field errors (422 Invalid)
def go_value(value):
    """How apimachinery's field errors print a bad value."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return "map[string]string{%s}" % ", ".join(
            "%s:%s" % (json.dumps(k), json.dumps(v)) for k, v in sorted(value.items()))
    return json.dumps(value, separators=(",", ":"))


class FieldError:
    def __init__(self, kind, field, detail="", value=None, has_value=True):
        self.kind = kind
        self.field = field
        self.detail = detail
        self.value = value
        self.has_value = has_value

    REASONS = {"Invalid": "FieldValueInvalid", "Required": "FieldValueRequired",
               "Forbidden": "FieldValueForbidden", "TooLong": "FieldValueTooLong",
               "NotSupported": "FieldValueNotSupported", "Duplicate": "FieldValueDuplicate",
               "TooMany": "FieldValueTooMany"}

    def body(self):
        if self.kind == "Invalid":
            text = "Invalid value: %s" % (self.value if self.value == "0x0" else go_value(self.value))
            return text + (": " + self.detail if self.detail else "")
        if self.kind == "Required":
            return "Required value" + (": " + self.detail if self.detail else "")
        if self.kind == "Forbidden":
            return "Forbidden" + (": " + self.detail if self.detail else "")
        if self.kind == "TooLong":
            return "Too long: " + self.detail
        if self.kind == "NotSupported":
            return "Unsupported value: %s: supported values: %s" % (go_value(self.value), self.detail)
        if self.kind == "Duplicate":
            return "Duplicate value: %s" % go_value(self.value)
        return self.detail

    def text(self):
        return "%s: %s" % (self.field, self.body())

    def cause(self):
        return {"reason": self.REASONS.get(self.kind, "FieldValueInvalid"), "message": self.body(), "field": self.field}


def invalid(group, kind, name, errors):
    qk = kind + ("." + group if group else "")
    texts = [e.text() for e in errors]
    agg = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    details = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = [e.cause() for e in errors]
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (qk, name, agg), details)


# ------------------------------------------------------------------ Go's field order
META_ORDER = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
              "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
              "ownerReferences", "finalizers", "managedFields")
KIND_ORDER = {"Secret": ("immutable", "data", "stringData", "type"),
              "ConfigMap": ("immutable", "data", "binaryData"),
              "ServiceAccount": ("secrets", "imagePullSecrets", "automountServiceAccountToken"),
              "Role": ("rules",), "ClusterRole": ("rules", "aggregationRule"),
              "RoleBinding": ("subjects", "roleRef"), "ClusterRoleBinding": ("subjects", "roleRef")}


def canonical(obj):
    """The object with its keys in the order the apiserver's Go structs print them."""
    out = {k: obj[k] for k in ("kind", "apiVersion") if k in obj}
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        out["metadata"] = {k: meta[k] for k in META_ORDER if k in meta}
        out["metadata"].update({k: v for k, v in meta.items() if k not in out["metadata"]})
    for k in KIND_ORDER.get(obj.get("kind"), ()):
        if k in obj:
            out[k] = obj[k]
    for k, v in obj.items():
        if k not in out and k not in ("spec", "status"):
            out[k] = v
    for k in ("spec", "status"):
        if k in obj:
            out[k] = obj[k]
    return out
