'use strict';
// Conformance: npm's node-vault (0.12.0) drives the Vault double through the flows keyd uses.
// Run: node --test tests/conformance/node-vault.test.js (node_modules from the committed lock file).

for (const k of Object.keys(process.env)) {
  // the client's own VAULT_ADDR, VAULT_TOKEN, VAULT_SKIP_VERIFY... must not leak in
  if (/^VAULT_(?!DOUBLE_|CONFORMANCE_)/.test(k)) delete process.env[k];
}

const { describe, it, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const nodeVault = require('node-vault');
const { startDouble, makeCerts, jwt } = require('./double.js');

const CAS_MISMATCH = 'check-and-set parameter did not match the current version';
const KEY = `/key/swarm/psk/1.0.0/\n/base16/\n${'ab'.repeat(32)}`;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

describe('node-vault against the plain-HTTP double', () => {
  let double;
  let vault;
  before(async () => { double = await startDouble(); });
  after(async () => { assert.equal(await double.stop(), 0); });
  beforeEach(async () => {
    await double.reset();
    vault = nodeVault({ apiVersion: 'v1', endpoint: double.url, token: double.rootToken });
  });

  it('writes with CAS, reads latest and ?version, reports a CAS conflict', async () => {
    const w1 = await vault.write('secret/data/swarm/prod', { options: { cas: 0 }, data: { 'swarm.key': KEY } });
    assert.equal(w1.data.version, 1);
    assert.match(w1.data.created_time, RFC3339);
    const err = await rejection(vault.write('secret/data/swarm/prod', { options: { cas: 0 }, data: { a: 'b' } }));
    assert.equal(err.response.statusCode, 400);
    assert.equal(err.message, CAS_MISMATCH);
    assert.deepEqual(err.response.body, { errors: [CAS_MISMATCH] });
    await vault.write('secret/data/swarm/prod', { options: { cas: 1 }, data: { 'swarm.key': `${KEY}2` } });
    const latest = await vault.read('secret/data/swarm/prod');
    assert.equal(latest.data.data['swarm.key'], `${KEY}2`);
    assert.equal(latest.data.metadata.version, 2);
    const first = await vault.read('secret/data/swarm/prod?version=1');
    assert.equal(first.data.data['swarm.key'], KEY);
    assert.equal(first.data.metadata.version, 1);
  });

  it('reads metadata, writes custom_metadata (204), lists', async () => {
    await vault.write('secret/data/swarm/prod', { data: { k: 'v' } });
    await vault.write('secret/data/swarm/dev', { data: { k: 'v' } });
    const res = await vault.write('secret/metadata/swarm/prod', { custom_metadata: { 'managed-by': 'keyd' } });
    assert.equal(res, '');
    const meta = await vault.read('secret/metadata/swarm/prod');
    assert.deepEqual(meta.data.custom_metadata, { 'managed-by': 'keyd' });
    assert.equal(meta.data.current_version, 1);
    assert.deepEqual(Object.keys(meta.data.versions), ['1']);
    const list = await vault.list('secret/metadata/swarm');
    assert.deepEqual(list.data.keys, ['dev', 'prod']);
    const viaGet = nodeVault({ endpoint: double.url, token: double.rootToken, noCustomHTTPVerbs: true });
    assert.deepEqual((await viaGet.list('secret/metadata/swarm')).data.keys, ['dev', 'prod']);
    const err = await rejection(vault.list('secret/metadata/nothing'));
    assert.equal(err.response.statusCode, 404);
    assert.deepEqual(err.response.body, { errors: [] });
  });

  it('missing, soft-deleted and destroyed versions are 404s', async () => {
    let err = await rejection(vault.read('secret/data/missing'));
    assert.equal(err.response.statusCode, 404);
    assert.equal(err.message, 'Status 404');
    await vault.write('secret/data/p', { data: { v: '1' } });
    await vault.write('secret/data/p', { data: { v: '2' } });
    await vault.write('secret/delete/p', { versions: [1] });
    err = await rejection(vault.read('secret/data/p?version=1'));
    assert.equal(err.response.statusCode, 404);
    assert.equal(err.response.body.data.data, null);
    assert.match(err.response.body.data.metadata.deletion_time, RFC3339);
    await vault.write('secret/undelete/p', { versions: [1] });
    assert.deepEqual((await vault.read('secret/data/p?version=1')).data.data, { v: '1' });
    await vault.write('secret/destroy/p', { versions: [1] });
    err = await rejection(vault.read('secret/data/p?version=1'));
    assert.equal(err.response.body.data.metadata.destroyed, true);
    await vault.delete('secret/data/p');
    err = await rejection(vault.read('secret/data/p'));
    assert.equal(err.response.body.data.metadata.version, 2);
    await vault.delete('secret/metadata/p');
    err = await rejection(vault.read('secret/metadata/p'));
    assert.deepEqual(err.response.body, { errors: [] });
  });

  it('update sends a real PATCH with merge-patch+json', async () => {
    await vault.write('secret/data/p', { data: { a: '1', b: '2' } });
    const res = await vault.update('secret/data/p', { data: { b: null, c: '3' } });
    assert.equal(res.data.version, 2);
    assert.deepEqual((await vault.read('secret/data/p')).data.data, { a: '1', c: '3' });
    const log = await double.requests();
    const patch = log.find((r) => r.method === 'PATCH');
    assert.equal(patch.content_type, 'application/merge-patch+json');
    assert.equal(patch.x_vault_request, false); // node-vault never sends X-Vault-Request
  });

  it('approleLogin, tokenLookupSelf, tokenRenewSelf', async () => {
    const creds = await double.control('POST', 'approle/roles', { name: 'keyd', policies: ['root'], token_ttl: '1h' });
    const client = nodeVault({ endpoint: double.url });
    const login = await client.approleLogin({ role_id: creds.role_id, secret_id: creds.secret_id });
    assert.equal(client.token, login.auth.client_token);
    assert.deepEqual(login.auth.metadata, { role_name: 'keyd' });
    const self = await client.tokenLookupSelf();
    assert.ok(self.data.ttl > 3590 && self.data.ttl <= 3600);
    assert.equal(self.data.renewable, true);
    const renewed = await client.tokenRenewSelf({ increment: '2h' });
    assert.equal(renewed.auth.lease_duration, 7200);
    assert.equal(client.token, renewed.auth.client_token);
    await client.write('secret/data/p', { data: { k: 'v' } });
    const err = await rejection(client.approleLogin({ role_id: creds.role_id, secret_id: 'wrong' }));
    assert.equal(err.response.statusCode, 400);
    assert.equal(err.message, 'invalid role or secret ID');
    const rootErr = await rejection(vault.tokenRenewSelf());
    assert.equal(rootErr.message, 'invalid lease ID');
  });

  it('kubernetesLogin with mount_point kubernetes', async () => {
    await double.control('POST', 'kubernetes/roles', {
      name: 'keyd', bound_service_account_names: ['keyd'], bound_service_account_namespaces: ['ipfs'],
      policies: ['root'], token_ttl: '15m',
    });
    const token = jwt({
      'kubernetes.io/serviceaccount/namespace': 'ipfs',
      'kubernetes.io/serviceaccount/service-account.name': 'keyd',
      sub: 'system:serviceaccount:ipfs:keyd',
    });
    const client = nodeVault({ endpoint: double.url });
    const login = await client.kubernetesLogin({ role: 'keyd', jwt: token, mount_point: 'kubernetes' });
    assert.equal(client.token, login.auth.client_token);
    assert.equal(login.auth.lease_duration, 900);
    assert.equal(login.auth.metadata.service_account_namespace, 'ipfs');
    const denied = await rejection(client.kubernetesLogin({
      role: 'keyd', mount_point: 'kubernetes',
      jwt: jwt({ 'kubernetes.io': { namespace: 'other', serviceaccount: { name: 'keyd' } } }),
    }));
    assert.equal(denied.response.statusCode, 403);
    // without mount_point node-vault 0.12.0 posts to /v1/auth//login, which is no login endpoint
    const fresh = nodeVault({ endpoint: double.url });
    const quirk = await rejection(fresh.kubernetesLogin({ role: 'keyd', jwt: token }));
    assert.equal(quirk.response.statusCode, 403);
    assert.equal((await double.requests()).at(-1).path, '/v1/auth//login');
  });

  it('health resolves whatever the status; sealed calls reject with 503', async () => {
    const health = await vault.health();
    assert.equal(health.sealed, false);
    await double.control('POST', 'seal');
    const sealed = await vault.health();
    assert.equal(sealed.sealed, true);
    const err = await rejection(vault.read('secret/data/p'));
    assert.equal(err.response.statusCode, 503);
    assert.equal(err.message, 'Vault is sealed');
    await double.control('POST', 'unseal');
    await double.control('POST', 'settings', { standby: true });
    assert.equal((await vault.health()).standby, true);
    assert.equal((await vault.health({ standbyok: true })).standby, true);
    const log = await double.requests();
    assert.deepEqual(log.slice(-2).map((r) => r.status), [429, 200]);
  });

  it('expired token is 403 permission denied', async () => {
    const tok = await double.control('POST', 'tokens', { ttl: '1h' });
    const client = nodeVault({ endpoint: double.url, token: tok.token });
    await client.tokenLookupSelf();
    await double.control('POST', 'tokens/expire', { accessor: tok.accessor });
    const err = await rejection(client.tokenLookupSelf());
    assert.equal(err.response.statusCode, 403);
    assert.equal(err.message, 'permission denied');
  });

  it('injected 429/500, malformed JSON, dropped connection, timeout', async () => {
    await vault.write('secret/data/p', { data: { k: 'v' } });
    await double.control('POST', 'faults', { path: '^/v1/secret/data/p$', times: 1, status: 429,
      headers: { 'Retry-After': '3' }, body: { errors: ['rate limit quota exceeded'] } });
    let err = await rejection(vault.read('secret/data/p'));
    assert.equal(err.response.statusCode, 429);
    assert.equal(err.message, 'rate limit quota exceeded');
    await double.control('POST', 'faults', { path: '^/v1/secret/data/p$', times: 1, status: 500 });
    err = await rejection(vault.read('secret/data/p'));
    assert.equal(err.response.statusCode, 500);
    assert.deepEqual((await vault.read('secret/data/p')).data.data, { k: 'v' });
    await double.control('POST', 'faults', { path: '^/v1/secret/data/p$', times: 1, action: 'malformed' });
    const garbled = await vault.read('secret/data/p');
    assert.equal(typeof garbled, 'string'); // axios hands back the unparsable text as is
    await double.control('POST', 'faults', { path: '^/v1/secret/data/p$', times: 1, action: 'drop' });
    err = await rejection(vault.read('secret/data/p'));
    assert.equal(err.response, undefined);
    assert.ok(['ECONNRESET', 'ERR_BAD_RESPONSE', 'EPIPE'].includes(err.code) || /socket hang up/.test(err.message),
      `${err.code} ${err.message}`);
    await double.control('POST', 'faults', { path: '^/v1/secret/data/p$', times: 1, delay_ms: 1500 });
    const slow = nodeVault({ endpoint: double.url, token: double.rootToken, requestOptions: { timeout: 400 } });
    err = await rejection(slow.read('secret/data/p'));
    assert.equal(err.code, 'ECONNABORTED');
  });
});

describe('node-vault over TLS and mTLS', () => {
  let certs;
  let tls;
  let mtls;
  const file = (name) => fs.readFileSync(path.join(certs.dir, name));
  before(async () => {
    certs = makeCerts();
    tls = await startDouble({ certs: certs.dir });
    mtls = await startDouble({ certs: certs.dir, mtls: true });
  });
  after(async () => {
    assert.equal(await tls.stop(), 0);
    assert.equal(await mtls.stop(), 0);
    if (certs.cleanup) fs.rmSync(certs.cleanup, { recursive: true, force: true });
  });

  it('verifies the server with the test CA', async () => {
    const vault = nodeVault({ endpoint: tls.url, token: tls.rootToken, requestOptions: { ca: file('ca.crt') } });
    await vault.write('secret/data/p', { options: { cas: 0 }, data: { k: 'v' } });
    assert.deepEqual((await vault.read('secret/data/p')).data.data, { k: 'v' });
    const byName = nodeVault({ endpoint: `https://localhost:${tls.port}`, token: tls.rootToken,
      requestOptions: { ca: file('ca.crt') } });
    assert.equal((await byName.health()).sealed, false);
  });

  it('fails with a wrong CA', async () => {
    const vault = nodeVault({ endpoint: tls.url, token: tls.rootToken, requestOptions: { ca: file('other-ca.crt') } });
    const err = await rejection(vault.read('secret/data/p'));
    assert.equal(err.response, undefined);
    assert.match(err.code, /CERT|SIGNATURE|VERIFY/);
  });

  it('mutual TLS needs the client certificate', async () => {
    const vault = nodeVault({ endpoint: mtls.url, token: mtls.rootToken,
      requestOptions: { ca: file('ca.crt'), cert: file('client.crt'), key: file('client.key') } });
    await vault.write('secret/data/p', { data: { k: 'v' } });
    assert.equal((await mtls.requests()).at(-1).client_cert, true);
    const anonymous = nodeVault({ endpoint: mtls.url, token: mtls.rootToken, requestOptions: { ca: file('ca.crt') } });
    const err = await rejection(anonymous.read('secret/data/p'));
    assert.equal(err.response, undefined);
  });
});
