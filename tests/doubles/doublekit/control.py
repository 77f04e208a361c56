"""The /_double/ control API skeleton: JSON bodies, path parts, the state lock, and the endpoints both
doubles share (reset with --config replay, faults, request log). Answers are built with the double's
own helpers, passed in as `out` (an object with json_resp, no_content and error)."""

import json


def parse_body(raw):
    if not raw or not raw.strip():
        return {}
    body = json.loads(raw)
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


def parts_of(path):
    return [p for p in path[len("/_double"):].split("/") if p]


def handle(state, method, path, query, raw, route, error, describe=str):
    """Parse, then route(state, method, parts, query, body) under the state lock; bad input -> 400."""
    try:
        body = parse_body(raw)
    except ValueError as exc:
        return error(400, "bad JSON: %s" % exc)
    try:
        with state.lock:
            return route(state, method, parts_of(path), query, body)
    except (ValueError, KeyError, TypeError) as exc:
        return error(400, describe(exc))


def common(state, method, parts, body, route, out, requests=list):
    """The shared endpoints, or None when parts/method name none of them."""
    key = "/".join(parts)
    if key == "reset" and method == "POST":
        state.reset()
        for endpoint, raw in state.startup:
            route(state, "POST", parts_of(endpoint), {}, parse_body(raw))
        return out.no_content()
    if parts[:1] == ["faults"]:
        return _faults(state, method, parts[1:], body, out)
    if key == "requests" and method == "GET":
        return out.json_resp(200, {"count": len(state.requests), "requests": requests(state.requests)})
    if key == "requests" and method == "DELETE":
        state.requests.clear()
        return out.no_content()
    return None


def _faults(state, method, rest, body, out):
    if method == "POST" and not rest:
        return out.json_resp(200, {"id": state.add_fault(body).id})
    if method == "GET" and not rest:
        return out.json_resp(200, {"faults": [f.describe() for f in state.faults]})
    if method == "DELETE" and not rest:
        state.faults.clear()
        return out.no_content()
    if method == "DELETE" and len(rest) == 1:
        state.faults[:] = [f for f in state.faults if str(f.id) != rest[0]]
        return out.no_content()
    return out.error(405, "unsupported faults call")
