// The vault CLI commands poly-secret-mcp runs, emulated over HTTP: each returns what the process would,
// {code, stdout, stderr}, with stdout exactly as `-format=json` prints it and stderr as the CLI's
// UI.Error lines (trailing newline included). Follows hashicorp/vault command/kv_get.go, kv_put.go,
// kv_list.go, kv_delete.go, kv_metadata_get.go, status.go and kvbuilder; the first path segment is the
// KV v2 mount (no sys/internal/ui/mounts preflight).
import fs from 'node:fs';
import { goMarshalIndent, goQuote, sortedDeep } from './go-format.mjs';
import { VaultApiError, VaultHttp } from './vault-http.mjs';

const ok = (stdout) => ({ code: 0, stdout, stderr: '' });
const fail = (code, stderr, stdout = '') => ({ code, stdout, stderr: stderr + '\n' });

// sanitizePath: trim spaces and every leading/trailing slash.
export function sanitizePath(p) {
  return p.trim().replace(/^\/+/, '').replace(/\/+$/, '');
}

// addPrefixToKVPath: "secret/a/b" + "data" → "secret/data/a/b".
export function kvApiPath(cliPath, prefix) {
  const clean = sanitizePath(cliPath);
  const slash = clean.indexOf('/');
  const mount = slash < 0 ? clean : clean.slice(0, slash);
  const rest = slash < 0 ? '' : clean.slice(slash + 1);
  return `${mount}/${prefix}/${rest}`;
}

// api.Secret marshalled: fixed field order, omitempty on auth, wrap_info and mount_type.
export function goSecret(raw) {
  const out = {
    request_id: raw.request_id ?? '',
    lease_id: raw.lease_id ?? '',
    lease_duration: raw.lease_duration ?? 0,
    renewable: raw.renewable ?? false,
    data: raw.data === undefined ? null : sortedDeep(raw.data),
    warnings: raw.warnings ?? null,
  };
  if (raw.auth) out.auth = sortedDeep(raw.auth);
  if (raw.wrap_info) out.wrap_info = sortedDeep(raw.wrap_info);
  if (raw.mount_type) out.mount_type = raw.mount_type;
  return out;
}

const hasContent = (s) => s && ((s.warnings && s.warnings.length) || (s.data && Object.keys(s.data).length));

export class VaultCli {
  constructor(http) {
    this.http = http;
  }

  // Logical().Read / kvReadRequest / List / Write / Delete: a 404 with a success-shaped body is a secret,
  // any other 404 is "nothing there" (null) for reads and lists; other failures throw VaultApiError.
  async call(method, apiPath, { query, body, notFoundIsNil = true } = {}) {
    const res = await this.http.raw(method, apiPath, { query, body });
    if (res.status === 404) {
      const secret = VaultHttp.parseSecret(res.text);
      if (hasContent(secret)) return secret;
      if (notFoundIsNil) return null;
    }
    const err = VaultHttp.responseError(res);
    if (err) throw err;
    return VaultHttp.parseSecret(res.text);
  }

  async kvGet(path, field) {
    const full = kvApiPath(path, 'data');
    let secret;
    try {
      secret = await this.call('GET', full);
    } catch (e) {
      return apiFailure(e, `Error reading ${full}`);
    }
    if (secret === null) return fail(2, `No value found at ${full}`);
    if (field !== undefined && field !== '') {
      const data = secret.data?.data;
      if (data === undefined || data === null) return fail(2, `No data found at ${full}`);
      let val = data[field];
      if (field === 'data' && !('data' in data)) val = secret.data;
      if (val === undefined || val === null) return fail(1, `Field ${goQuote(field)} not present in secret`);
      return ok(goMarshalIndent(sortedDeep(val)));  // PrintRawField → PrintRaw: no trailing newline
    }
    return ok(goMarshalIndent(goSecret(secret)) + '\n');
  }

  // `vault kv put -format=json <path> <args…>`
  async kvPut(path, args, { transform } = {}) {
    if (args.length === 0) return fail(1, 'Must supply data');
    let data;
    try {
      data = buildKv(args);
    } catch (e) {
      return fail(1, `Failed to parse K=V data: ${e.message}`);
    }
    if (transform) data = transform(data);
    const full = kvApiPath(path, 'data');
    let secret;
    try {
      secret = await this.call('PUT', full, { body: { data, options: {} }, notFoundIsNil: false });
    } catch (e) {
      return apiFailure(e, `Error writing data to ${full}`);
    }
    if (secret === null) return ok('');
    return ok(goMarshalIndent(goSecret(secret)) + '\n');
  }

  async kvMetadataGet(path) {
    const full = kvApiPath(path, 'metadata');
    let secret;
    try {
      secret = await this.call('GET', full);
    } catch (e) {
      return apiFailure(e, `Error reading ${full}`);
    }
    if (secret === null) return fail(2, `No value found at ${full}`);
    return ok(goMarshalIndent(goSecret(secret)) + '\n');
  }

  // `vault kv list -format=json`: nothing there prints "{}" and exits 2 with an empty stderr.
  async kvList(path) {
    const full = kvApiPath(sanitizePath(path) + '/', 'metadata').replace(/\/?$/, '/');
    let secret;
    try {
      secret = await this.call('GET', full, { query: { list: 'true' } });
    } catch (e) {
      return apiFailure(e, `Error listing ${full}`);
    }
    const keys = secret?.data?.keys;
    if (!secret || !secret.data || !Array.isArray(keys)) return { code: 2, stdout: '{}\n', stderr: '' };
    return ok(goMarshalIndent(keys) + '\n');
  }

  // `vault kv delete [-versions=1,2] <path>`
  async kvDelete(path, versions) {
    const full = kvApiPath(path, 'data');
    try {
      if (versions !== undefined) {
        const list = versions.map(String);
        await this.call('PUT', kvApiPath(path, 'delete'), { body: { versions: list }, notFoundIsNil: false });
      } else {
        await this.call('DELETE', full, { notFoundIsNil: false });
      }
    } catch (e) {
      return apiFailure(e, `Error deleting ${full}`);
    }
    return ok(`Success! Data deleted (if it existed) at: ${full}\n`);
  }

  // `vault status -format=json`: exit 0 unsealed, 2 sealed, 1 on error. The CLI also asks sys/leader;
  // the Vault double has no HA, so ha_enabled is false.
  async status() {
    let s;
    try {
      const res = await this.http.raw('GET', 'sys/seal-status');
      const err = VaultHttp.responseError(res);
      if (err) throw err;
      s = VaultHttp.parseSecret(res.text) ?? {};
    } catch (e) {
      return apiFailure(e, 'Error checking seal status', 1);
    }
    const out = {
      type: s.type ?? '', initialized: s.initialized ?? false, sealed: s.sealed ?? false, t: s.t ?? 0,
      n: s.n ?? 0, progress: s.progress ?? 0, nonce: s.nonce ?? '', version: s.version ?? '',
      build_date: s.build_date ?? '', migration: s.migration ?? false,
    };
    if (s.cluster_name) out.cluster_name = s.cluster_name;
    if (s.cluster_id) out.cluster_id = s.cluster_id;
    out.recovery_seal = s.recovery_seal ?? false;
    if (s.recovery_seal_type) out.recovery_seal_type = s.recovery_seal_type;
    if (s.storage_type) out.storage_type = s.storage_type;
    if (s.warnings && s.warnings.length) out.warnings = s.warnings;
    out.ha_enabled = false;
    out.active_time = '0001-01-01T00:00:00Z';
    return { code: out.sealed ? 2 : 0, stdout: goMarshalIndent(out) + '\n', stderr: '' };
  }
}

function apiFailure(e, prefix, code = 2) {
  if (!(e instanceof VaultApiError)) throw e;
  return fail(code, `${prefix}: ${e.message}`);
}

// kvbuilder.Builder.Add: "k=v" pairs; "" ignored; repeated keys become lists; "k=@file" reads a file,
// "k=\@x" is the literal "@x"; "@file.json" merges a JSON object. stdin ("-") is refused: the vault
// process poly-secret-mcp spawns has no usable stdin.
export function buildKv(args) {
  const result = {};
  for (const a of args) {
    try {
      addKv(result, a);
    } catch (e) {
      throw new Error(`invalid key/value pair ${goQuote(a)}: ${e.message}`);
    }
  }
  return result;
}

function addKv(result, raw) {
  if (raw === '') return;
  const eq = raw.indexOf('=');
  if (eq < 0) {
    if (raw === '-') throw new Error('stdin is not supported');
    if (raw[0] === '@') {
      Object.assign(result, JSON.parse(readFileGo(raw.slice(1))));
      return;
    }
    throw new Error('format must be key=value');
  }
  const key = raw.slice(0, eq);
  let value = raw.slice(eq + 1);
  if (value.length > 0) {
    if (value[0] === '@') value = readFileGo(value.slice(1), 'error reading file: ');
    else if (value[0] === '\\' && value[1] === '@') value = value.slice(1);
    else if (value === '-') throw new Error('stdin is not supported');
  }
  if (Object.hasOwn(result, key)) {
    const prev = result[key];
    result[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
    return;
  }
  result[key] = value;
}

function readFileGo(file, prefix = '') {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const why = e.code === 'ENOENT' ? 'no such file or directory' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new Error(`${prefix}open ${file}: ${why}`);
  }
}
