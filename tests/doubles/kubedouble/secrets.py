"""Secrets and ConfigMaps: data/stringData/type rules, key syntax, the 1 MiB limit, `immutable`."""

import base64
import binascii
import re

from .strategies import Strategy
from .util import FieldError

KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")
KEY_MSG = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
           "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
MAX_SIZE = 1024 * 1024
IMMUTABLE = "field is immutable when `immutable` is set"

# secret type -> data keys that must be present (all of them, or any of them for basic-auth)
REQUIRED_KEYS = {
    "kubernetes.io/dockercfg": [".dockercfg"],
    "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
    "kubernetes.io/ssh-auth": ["ssh-privatekey"],
    "kubernetes.io/tls": ["tls.key", "tls.crt"],
}


def _key_errors(keys, path):
    errs = []
    for k in keys:
        if not KEY_RE.match(k) or k in (".", "..") or k.startswith(".."):
            errs.append(FieldError("Invalid", "%s[%s]" % (path, k), KEY_MSG, k))
        elif len(k) > 253:
            errs.append(FieldError("TooLong", "%s[%s]" % (path, k), "must have at most 253 bytes", k))
    return errs


class SecretStrategy(Strategy):
    def decode(self, obj):
        data = obj.get("data")
        if data is not None and not isinstance(data, dict):
            raise self.cannot_handle("json: cannot unmarshal %s into Go struct field Secret.data of type "
                                     "map[string][]uint8" % type(data).__name__)
        out = {}
        for k, v in (data or {}).items():
            if v is None:
                out[k] = ""
                continue
            if not isinstance(v, str):
                raise self.cannot_handle("json: cannot unmarshal number into Go struct field Secret.data of "
                                         "type []uint8")
            try:
                raw = base64.b64decode(v, validate=True)
            except (binascii.Error, ValueError):
                raise self.cannot_handle("illegal base64 data at input byte %d" % _bad_byte(v))
            out[k] = base64.b64encode(raw).decode()
        string_data = obj.pop("stringData", None)
        if string_data is not None:
            if not isinstance(string_data, dict) or not all(isinstance(v, str) for v in string_data.values()):
                raise self.cannot_handle("json: cannot unmarshal into Go struct field Secret.stringData of type "
                                         "map[string]string")
            for k, v in string_data.items():
                out[k] = base64.b64encode(v.encode("utf-8")).decode()
        if data is not None or string_data is not None:
            obj["data"] = out
        if "type" in obj and not isinstance(obj["type"], str):
            raise self.cannot_handle("json: cannot unmarshal into Go struct field Secret.type of type string")

    def default(self, obj):
        if not obj.get("type"):
            obj["type"] = "Opaque"

    def validate(self, obj):
        data = obj.get("data") or {}
        errs = _key_errors(data.keys(), "data")
        size = sum(len(base64.b64decode(v)) for v in data.values())
        if size > MAX_SIZE:
            errs.append(FieldError("TooLong", "data", "must have at most %d bytes" % MAX_SIZE))
        stype = obj.get("type")
        meta = obj["metadata"]
        if stype == "kubernetes.io/service-account-token":
            if not (meta.get("annotations") or {}).get("kubernetes.io/service-account.name"):
                errs.append(FieldError("Required", "metadata.annotations[kubernetes.io/service-account.name]", ""))
        elif stype == "kubernetes.io/basic-auth":
            if "username" not in data and "password" not in data:
                errs.append(FieldError("Required", "data[username]", ""))
                errs.append(FieldError("Required", "data[password]", ""))
        for k in REQUIRED_KEYS.get(stype, []):
            if k not in data:
                errs.append(FieldError("Required", "data[%s]" % k, ""))
        return errs

    def validate_update(self, new, old):
        errs = []
        if new.get("type") != old.get("type"):
            errs.append(FieldError("Invalid", "type", "field is immutable", new.get("type")))
        if old.get("immutable"):
            if not new.get("immutable"):
                errs.append(FieldError("Forbidden", "immutable", IMMUTABLE))
            if (new.get("data") or {}) != (old.get("data") or {}):
                errs.append(FieldError("Forbidden", "data", IMMUTABLE))
        return errs


def _bad_byte(text):
    valid = re.compile(r"[A-Za-z0-9+/]")
    for i, ch in enumerate(text):
        if ch == "=":
            return i
        if not valid.match(ch):
            return i
    return max(0, len(text) - len(text) % 4)


class ConfigMapStrategy(Strategy):
    def decode(self, obj):
        for field in ("data", "binaryData"):
            val = obj.get(field)
            if val is not None and (not isinstance(val, dict) or not all(isinstance(v, str) for v in val.values())):
                raise self.cannot_handle("json: cannot unmarshal into Go struct field ConfigMap.%s" % field)

    def validate(self, obj):
        data, binary = obj.get("data") or {}, obj.get("binaryData") or {}
        errs = _key_errors(data.keys(), "data") + _key_errors(binary.keys(), "binaryData")
        for k in set(data) & set(binary):
            errs.append(FieldError("Invalid", "data[%s]" % k, "duplicate of key present in binaryData", k))
        size = sum(len(v.encode()) for v in data.values()) + sum(len(v) * 3 // 4 for v in binary.values())
        if size > MAX_SIZE:
            errs.append(FieldError("TooLong", "[]", "must have at most %d bytes" % MAX_SIZE))
        return errs

    def validate_update(self, new, old):
        errs = []
        if old.get("immutable"):
            if not new.get("immutable"):
                errs.append(FieldError("Forbidden", "immutable", IMMUTABLE))
            if (new.get("data") or {}) != (old.get("data") or {}):
                errs.append(FieldError("Forbidden", "data", IMMUTABLE))
            if (new.get("binaryData") or {}) != (old.get("binaryData") or {}):
                errs.append(FieldError("Forbidden", "binaryData", IMMUTABLE))
        return errs
