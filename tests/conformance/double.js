'use strict';
// Start/stop the Vault double from node tests and talk to its control API.

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const HERE = __dirname;
const TMP = process.env.VAULT_CONFORMANCE_TMP || os.tmpdir();
const DOUBLE = path.join(HERE, '..', 'doubles', 'vault_double.py');

function makeCerts() {
  const existing = process.env.VAULT_DOUBLE_CERT_DIR;
  if (existing && fs.existsSync(path.join(existing, 'ca.crt'))) return { dir: existing, cleanup: null };
  const dir = fs.mkdtempSync(path.join(TMP, 'vault-double-certs-'));
  execFileSync(path.join(HERE, 'make-certs.sh'), [dir], { stdio: 'inherit' });
  return { dir, cleanup: dir };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function startDouble({ certs = null, mtls = false } = {}) {
  const tmp = fs.mkdtempSync(path.join(TMP, 'vault-double-'));
  const portFile = path.join(tmp, 'port');
  const controlFile = path.join(tmp, 'control-port');
  const tokenFile = path.join(tmp, 'token');
  const args = [DOUBLE, '--port', '0', '--port-file', portFile, '--token-file', tokenFile,
    '--control-port-file', controlFile, '--quiet', '--exit-with-parent'];
  if (certs) {
    args.push('--tls-cert', path.join(certs, 'server.crt'), '--tls-key', path.join(certs, 'server.key'));
    if (mtls) args.push('--client-ca', path.join(certs, 'ca.crt'));
  }
  const env = { ...process.env };
  delete env.VAULT_DOUBLE_ROOT_TOKEN;
  const child = spawn('/usr/bin/python3', args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 10000;
  while (!(fs.existsSync(portFile) && fs.existsSync(controlFile))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`vault double did not start: ${stderr}`);
    }
    await sleep(20);
  }
  const port = Number(fs.readFileSync(portFile, 'utf8'));
  const controlPort = Number(fs.readFileSync(controlFile, 'utf8'));
  const rootToken = fs.readFileSync(tokenFile, 'utf8').trim();

  async function control(method, p, body) {
    const res = await fetch(`http://127.0.0.1:${controlPort}/_double/${p}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`control ${method} ${p} -> ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  async function stop() {
    if (child.exitCode === null) child.kill('SIGTERM');
    const code = await exited;
    fs.rmSync(tmp, { recursive: true, force: true });
    return code;
  }

  return {
    url: `${certs ? 'https' : 'http'}://127.0.0.1:${port}`,
    port, controlPort, rootToken, control, stop,
    reset: () => control('POST', 'reset'),
    requests: async () => (await control('GET', 'requests')).requests,
  };
}

function jwt(claims) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'RS256', kid: 'test' })}.${enc(claims)}.c2lnbmF0dXJl`;
}

module.exports = { startDouble, makeCerts, jwt, sleep };
