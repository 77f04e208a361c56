"""Small helpers shared by the Vault double: time, durations, JSON responses, ids."""

import json
import re
import secrets
import string
import time
import uuid

_ALNUM = string.ascii_letters + string.digits


def now_ns():
    return time.time_ns()


def rfc3339(ns):
    """RFC3339 UTC like Go's time.RFC3339Nano: trailing zeros of the fraction are trimmed."""
    if ns is None:
        return ""
    secs, frac = divmod(int(ns), 1_000_000_000)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    if frac:
        text += "." + ("%09d" % frac).rstrip("0")
    return text + "Z"


_DUR_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DUR_RE = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)")


def parse_duration(value):
    """Seconds (int) from an int, a numeric string or a Go duration ("1h30m", "0s", "500ms").

    Mirrors Vault's TypeDurationSecond: fractions of a second are truncated."""
    if value is None or isinstance(value, bool):
        raise ValueError("invalid duration")
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    if text == "":
        return 0
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    pos, total = 0, 0.0
    for m in _DUR_RE.finditer(text):
        if m.start() != pos:
            raise ValueError("invalid duration %r" % text)
        total += float(m.group(1)) * _DUR_UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or pos == 0:
        raise ValueError("invalid duration %r" % text)
    return int(total)


def go_duration(seconds):
    """Go's time.Duration.String() for whole seconds: 0 -> "0s", 3600 -> "1h0m0s", 90 -> "1m30s"."""
    seconds = int(seconds)
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    if h:
        return "%s%dh%dm%ds" % (sign, h, m, s)
    if m:
        return "%s%dm%ds" % (sign, m, s)
    return "%s%ds" % (sign, s)


def weak_int(value):
    """mapstructure.WeakDecode into an int: ints, floats, numeric strings, bools."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    if isinstance(value, str) and value.strip() == "":
        return 0
    raise ValueError("cannot parse %r as int" % (value,))


def weak_bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("1", "t", "true"):
            return True
        if low in ("0", "f", "false", ""):
            return False
    raise ValueError("cannot parse %r as bool" % (value,))


def weak_str(value):
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    raise ValueError("'' expected type 'string', got unconvertible type '%s'" % type(value).__name__)


def new_token():
    return "hvs." + "".join(secrets.choice(_ALNUM) for _ in range(24))


def new_accessor():
    return "".join(secrets.choice(_ALNUM) for _ in range(24))


def new_uuid():
    return str(uuid.uuid4())


def multierror(messages):
    """hashicorp/go-multierror's text for a list of errors."""
    if len(messages) == 1:
        head = "1 error occurred:"
    else:
        head = "%d errors occurred:" % len(messages)
    return head + "".join("\n\t* " + m for m in messages) + "\n\n"


class Resp:
    """An HTTP answer: status, body bytes (or None), extra headers."""

    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def json_resp(status, obj, headers=None):
    hdrs = {"Content-Type": "application/json"}
    hdrs.update(headers or {})
    # Go's json.Encoder: compact, with a trailing newline
    return Resp(status, (json.dumps(obj, separators=(",", ":")) + "\n").encode("utf-8"), hdrs)


def error(status, *messages):
    return json_resp(status, {"errors": list(messages)})


def no_content():
    # Vault's respondOk sets Content-Type before writing a 204 without body
    return Resp(204, None, {"Content-Type": "application/json"})


def wrapper(data=None, auth=None, warnings=None, mount_type="", lease_duration=0, renewable=False):
    """Vault's logical.HTTPResponse envelope."""
    return {
        "request_id": new_uuid(),
        "lease_id": "",
        "renewable": renewable,
        "lease_duration": lease_duration,
        "data": data,
        "wrap_info": None,
        "warnings": warnings or None,
        "auth": auth,
        "mount_type": mount_type,
    }


def ok(data=None, auth=None, warnings=None, mount_type="", status=200):
    return json_resp(status, wrapper(data=data, auth=auth, warnings=warnings, mount_type=mount_type))


def ok_or_204(warnings=None, mount_type=""):
    """A body-less success is 204, unless it carries warnings: then 200 with the envelope."""
    if warnings:
        return ok(None, warnings=warnings, mount_type=mount_type)
    return no_content()


PERMISSION_DENIED = "permission denied"


def denied():
    return error(403, PERMISSION_DENIED)


def not_found():
    return error(404)


def unsupported_path():
    return error(404, multierror(["unsupported path"]))


def unsupported_operation():
    return error(405, multierror(["unsupported operation"]))
