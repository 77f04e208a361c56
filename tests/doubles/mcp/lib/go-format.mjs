// How Go (and so the vault CLI) prints things: json.MarshalIndent, %q, net/http error texts.

// json.MarshalIndent(v, "", "  "): Go escapes <, >, & and U+2028/U+2029 inside strings. Go sorts map
// keys bytewise; callers pass objects built with sortedDeep() (JavaScript then moves integer-like keys
// first, which poly-secret-mcp's own JSON.parse/JSON.stringify round trip does anyway).
export function goMarshalIndent(value) {
  return JSON.stringify(value, null, 2)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

// A decoded map[string]interface{}: keys sorted bytewise at every level, arrays kept in order.
export function sortedDeep(value) {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const key of Object.keys(value).sort(byteOrder)) out[key] = sortedDeep(value[key]);
  return out;
}

function byteOrder(a, b) {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return Buffer.compare(ba, bb);
}

// fmt.Sprintf("%q", s) for the characters that matter here (ASCII controls, quotes, backslash).
export function goQuote(s) {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

// net/http's *url.Error: `Get "http://host/v1/x": <cause>`.
export function goUrlError(method, url, cause) {
  const op = method.charAt(0) + method.slice(1).toLowerCase();
  return `${op} "${url}": ${cause}`;
}

// The cause Go would report for a failed fetch() (Node's undici error in err.cause).
export function goTransportCause(err, url) {
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
  }
  const cause = err?.cause ?? err;
  const u = new URL(url);
  const hostPort = `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hostPort}: connect: connection refused`;
    case 'ECONNRESET':
      return `read tcp ${hostPort}: read: connection reset by peer`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${u.hostname}: no such host`;
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'EOF';
    default:
      return cause?.message || String(cause);
  }
}

// encoding/json's error for a body that does not decode.
export function goJsonError(text) {
  const t = text.trimStart();
  if (t === '') return 'EOF';
  if (t[0] === '{' || t[0] === '[' || t[0] === '"') return 'unexpected EOF';
  return `invalid character '${t[0]}' looking for beginning of value`;
}
