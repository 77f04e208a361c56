// The HTTP side of the vault CLI (hashicorp/vault api.Client), as far as `vault kv …` and `vault status`
// use it: VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CLIENT_TIMEOUT (default 60s) and
// VAULT_MAX_RETRIES (default 2, retried on connection errors, 412, 429 and 5xx except 501, waiting
// 1–1.5 s times the attempt number like go-retryablehttp's LinearJitterBackoff).
import { goJsonError, goTransportCause, goUrlError } from './go-format.mjs';

// A failed call, carrying the text the vault CLI would print for it (never a token or secret value).
export class VaultApiError extends Error {
  constructor(message, { status = 0, response = null } = {}) {
    super(message);
    this.name = 'VaultApiError';
    this.status = status;
    this.response = response;  // the parsed body of a non-2xx answer, when it had one
  }
}

// Go's time.ParseDuration subset the CLI accepts for VAULT_CLIENT_TIMEOUT (a bare number is seconds).
export function parseDurationMs(text, fallbackMs) {
  if (text === undefined || text === '') return fallbackMs;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const units = { ms: 1, s: 1000, m: 60000, h: 3600000 };
  let total = 0;
  let rest = text;
  while (rest.length) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) return fallbackMs;
    total += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}

export class VaultHttp {
  constructor(env, { sleep = (ms) => new Promise((r) => setTimeout(r, ms)) } = {}) {
    this.addr = (env.VAULT_ADDR || 'http://127.0.0.1:8200').replace(/\/+$/, '');
    this.token = env.VAULT_TOKEN || '';
    this.namespace = env.VAULT_NAMESPACE || '';
    this.timeoutMs = parseDurationMs(env.VAULT_CLIENT_TIMEOUT, 60000);
    const retries = Number.parseInt(env.VAULT_MAX_RETRIES ?? '2', 10);
    this.maxRetries = Number.isFinite(retries) && retries >= 0 ? retries : 2;
    this.sleep = sleep;
  }

  url(apiPath, query) {
    const qs = query && Object.keys(query).length ? '?' + new URLSearchParams(query).toString() : '';
    return `${this.addr}/v1/${apiPath}${qs}`;
  }

  headers() {
    const h = { 'X-Vault-Request': 'true' };
    if (this.token) h['X-Vault-Token'] = this.token;
    if (this.namespace) h['X-Vault-Namespace'] = this.namespace;
    return h;
  }

  // One API call with the client's retries. Resolves {status, body (parsed or null), text, headers};
  // rejects with VaultApiError for transport failures only (the caller decides what a status means).
  async raw(method, apiPath, { query, body } = {}) {
    const url = this.url(apiPath, query);
    const init = { method, headers: this.headers(), redirect: 'follow' };
    if (body !== undefined) init.body = Buffer.from(JSON.stringify(body));  // no Content-Type, as Go's client
    let last;
    for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
      if (attempt > 0) await this.sleep((1000 + Math.random() * 500) * attempt);
      try {
        const res = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
        const text = await res.text();
        last = { status: res.status, text, headers: res.headers, url, method };
        if (!retryableStatus(res.status)) return last;
      } catch (err) {
        last = { error: new VaultApiError(goUrlError(method, url, goTransportCause(err, url))) };
      }
    }
    if (last.error) throw last.error;
    return last;
  }

  // api.Response.Error(): the "Error making API request." block, or null for 2xx/3xx.
  static responseError(res) {
    if (res.status >= 200 && res.status < 400) return null;
    let parsed = null;
    try {
      parsed = JSON.parse(res.text);
    } catch {
      parsed = null;
    }
    const raw = parsed === null || typeof parsed !== 'object' || Array.isArray(parsed);
    const ns = res.headers.get('X-Vault-Namespace');
    let msg = 'Error making API request.\n\n' + (ns ? `Namespace: ${ns}\n` : '') +
        `URL: ${res.method} ${res.url}\nCode: ${res.status}. ${raw ? 'Raw Message' : 'Errors'}:\n\n`;
    if (raw) {
      msg += res.text;
    } else {
      for (const e of Array.isArray(parsed.errors) ? parsed.errors : []) msg += `* ${e}`;
    }
    return new VaultApiError(msg, { status: res.status, response: raw ? null : parsed });
  }

  // api.ParseSecret: null for an empty body, else the decoded object; a body that is not JSON fails
  // with encoding/json's text.
  static parseSecret(text) {
    if (text.trim() === '') return null;
    try {
      const v = JSON.parse(text);
      return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
    } catch {
      throw new VaultApiError(goJsonError(text));
    }
  }
}

function retryableStatus(status) {
  return status === 412 || status === 429 || (status >= 500 && status !== 501);
}
