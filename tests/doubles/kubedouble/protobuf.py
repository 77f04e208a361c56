"""Decoding of the protobuf request bodies (application/vnd.kubernetes.protobuf) that kubectl >= 1.32's typed
commands send (`kubectl create secret|configmap|namespace|serviceaccount|role|rolebinding|…`, `kubectl auth
can-i [--list]`, `kubectl auth whoami`).

Only decoding, and only for the kinds below: answers are always JSON (those clients accept JSON).
Wire format: the 4-byte magic "k8s\\0", then a runtime.Unknown {1: typeMeta{1: apiVersion, 2: kind},
2: raw (the object's own message), 3: contentEncoding, 4: contentType}.
"""

import base64
import time

MAGIC = b"k8s\x00"
MEDIA = "application/vnd.kubernetes.protobuf"

# field number -> (json name, type, sub-schema)
TIME = {1: ("seconds", "int", None), 2: ("nanos", "int", None)}
OWNER_REF = {1: ("kind", "string", None), 3: ("name", "string", None), 4: ("uid", "string", None),
             5: ("apiVersion", "string", None), 6: ("controller", "bool", None),
             7: ("blockOwnerDeletion", "bool", None)}
OBJECT_META = {1: ("name", "string", None), 2: ("generateName", "string", None), 3: ("namespace", "string", None),
               5: ("uid", "string", None), 6: ("resourceVersion", "string", None), 7: ("generation", "int", None),
               8: ("creationTimestamp", "time", None), 9: ("deletionTimestamp", "time", None),
               10: ("deletionGracePeriodSeconds", "int", None), 11: ("labels", "map_ss", None),
               12: ("annotations", "map_ss", None), 13: ("ownerReferences", "rep_msg", OWNER_REF),
               14: ("finalizers", "rep_string", None)}
META = {1: ("metadata", "msg", OBJECT_META)}
OBJECT_REF = {1: ("kind", "string", None), 2: ("namespace", "string", None), 3: ("name", "string", None),
              4: ("uid", "string", None), 5: ("apiVersion", "string", None), 6: ("resourceVersion", "string", None),
              7: ("fieldPath", "string", None)}
POLICY_RULE = {1: ("verbs", "rep_string", None), 2: ("apiGroups", "rep_string", None),
               3: ("resources", "rep_string", None), 4: ("resourceNames", "rep_string", None),
               5: ("nonResourceURLs", "rep_string", None)}
LABEL_SELECTOR = {1: ("matchLabels", "map_ss", None), 2: ("matchExpressions", "rep_msg", {
    1: ("key", "string", None), 2: ("operator", "string", None), 3: ("values", "rep_string", None)})}
BINDING = {2: ("subjects", "rep_msg", {1: ("kind", "string", None), 2: ("apiGroup", "string", None),
                                       3: ("name", "string", None), 4: ("namespace", "string", None)}),
           3: ("roleRef", "msg", {1: ("apiGroup", "string", None), 2: ("kind", "string", None),
                                  3: ("name", "string", None)})}


def _with_meta(fields):
    return {**META, **fields}

SCHEMAS = {
    ("v1", "Secret"): _with_meta({2: ("data", "map_sb", None), 3: ("type", "string", None),
                                    4: ("stringData", "map_ss", None), 5: ("immutable", "bool", None)}),
    ("v1", "ConfigMap"): _with_meta({2: ("data", "map_ss", None), 3: ("binaryData", "map_sb", None),
                                       4: ("immutable", "bool", None)}),
    ("v1", "Namespace"): _with_meta({2: ("spec", "msg", {1: ("finalizers", "rep_string", None)})}),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): _with_meta({2: ("spec", "msg", {
        1: ("resourceAttributes", "msg", {1: ("namespace", "string", None), 2: ("verb", "string", None),
                                          3: ("group", "string", None), 4: ("version", "string", None),
                                          5: ("resource", "string", None), 6: ("subresource", "string", None),
                                          7: ("name", "string", None)}),
        2: ("nonResourceAttributes", "msg", {1: ("path", "string", None), 2: ("verb", "string", None)})})}),
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): _with_meta({2: ("spec", "msg", {
        1: ("namespace", "string", None)})}),
    ("authentication.k8s.io/v1", "SelfSubjectReview"): _with_meta({}),
    ("v1", "ServiceAccount"): _with_meta({2: ("secrets", "rep_msg", OBJECT_REF),
                                          3: ("imagePullSecrets", "rep_msg", {1: ("name", "string", None)}),
                                          4: ("automountServiceAccountToken", "bool", None)}),
    ("rbac.authorization.k8s.io/v1", "Role"): _with_meta({2: ("rules", "rep_msg", POLICY_RULE)}),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): _with_meta({2: ("rules", "rep_msg", POLICY_RULE), 3: (
        "aggregationRule", "msg", {1: ("clusterRoleSelectors", "rep_msg", LABEL_SELECTOR)})}),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): _with_meta(BINDING),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): _with_meta(BINDING),
    ("coordination.k8s.io/v1", "Lease"): _with_meta({2: ("spec", "msg", {
        1: ("holderIdentity", "string", None), 2: ("leaseDurationSeconds", "int", None),
        3: ("acquireTime", "microtime", None), 4: ("renewTime", "microtime", None),
        5: ("leaseTransitions", "int", None), 6: ("strategy", "string", None),
        7: ("preferredHolder", "string", None)})}),
}


class ProtobufError(ValueError):
    pass


def _varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtobufError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint too long")


def _fields(buf):
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, pos = _varint(buf, pos)
        elif wire == 1:
            val, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos)
            if pos + n > len(buf):
                raise ProtobufError("truncated field %d" % num)
            val, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            val, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ProtobufError("unsupported wire type %d" % wire)
        yield num, wire, val


def _signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def _stamp(msg, micro):
    t = _message(msg, TIME)
    secs, nanos = t.get("seconds", 0), t.get("nanos", 0)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    return text + (".%06dZ" % (nanos // 1000) if micro else "Z")


def _message(buf, schema):
    out = {}
    for num, wire, val in _fields(buf):
        if num not in schema:
            continue
        name, typ, sub = schema[num]
        if typ == "string":
            out[name] = bytes(val).decode("utf-8")
        elif typ == "int":
            out[name] = _signed(val)
        elif typ == "bool":
            out[name] = bool(val)
        elif typ == "msg":
            out[name] = _message(val, sub)
        elif typ == "rep_msg":
            out.setdefault(name, []).append(_message(val, sub))
        elif typ == "rep_string":
            out.setdefault(name, []).append(bytes(val).decode("utf-8"))
        elif typ in ("map_ss", "map_sb"):
            entry = {n: v for n, _, v in _fields(val)}
            key = bytes(entry.get(1, b"")).decode("utf-8")
            raw = bytes(entry.get(2, b""))
            out.setdefault(name, {})[key] = raw.decode("utf-8") if typ == "map_ss" else base64.b64encode(raw).decode()
        elif typ in ("time", "microtime"):
            out[name] = _stamp(val, typ == "microtime")
    return _omit_empty(out)


def _omit_empty(obj):
    # Go's JSON omitempty for the scalar fields that gogo-protobuf always writes
    return {k: v for k, v in obj.items() if not (v == "" or (isinstance(v, int) and not isinstance(v, bool) and v == 0
                                                              and k not in ("leaseDurationSeconds", "leaseTransitions")))}


def is_protobuf(content_type):
    return (content_type or "").split(";")[0].strip().lower() == MEDIA


def decode(raw):
    """The object (a JSON-shaped dict) in a protobuf body; ProtobufError when it is not one we can read."""
    if not raw.startswith(MAGIC):
        raise ProtobufError("missing the k8s protobuf magic prefix")
    env = {n: v for n, _, v in _fields(memoryview(raw)[4:].tobytes())}
    tm = {n: bytes(v).decode() for n, _, v in _fields(env.get(1, b""))}
    api_version, kind = tm.get(1, ""), tm.get(2, "")
    schema = SCHEMAS.get((api_version, kind))
    if schema is None:
        raise ProtobufError("the double decodes protobuf bodies only for %s, not %s %s" % (
            ", ".join(k for _, k in SCHEMAS), api_version, kind))
    obj = {"apiVersion": api_version, "kind": kind}
    obj.update(_message(bytes(env.get(2, b"")), schema))
    obj.setdefault("metadata", {})
    return obj
