// The compatibility table of shared/reference/swarm-key.md as a test: every variant
// (fixtures/pnet-table.mjs) is written to a file, built from key bytes generated for this run, and
// fed to keyd's parser (`keyd inspect --output json`) and to js-libp2p's (@libp2p/pnet 3.x
// preSharedKey, which decodes the whole file at construction and throws on what it rejects).
// For each variant:
//   - js-libp2p's real decision equals the table's js column (the table is measured, not assumed);
//   - keyd's accept/reject equals the table's go-libp2p column (weak keys: keyd rejects on purpose);
//   - for what keyd accepts: the key keyd decodes is the run's key (its Kubo fingerprint matches), a
//     warning attributes a rejection to js-libp2p exactly where js-libp2p rejects, and keyd warns at all
//     exactly where js-libp2p rejects or the reference calls the form non-canonical.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { preSharedKey } from '@libp2p/pnet'

import { variants } from './fixtures/pnet-table.mjs'
import { inspect, kuboFingerprint, tempDir } from './lib/harness.mjs'

const here = dirname(fileURLToPath(import.meta.url))
// A warning that says js-libp2p (3.x) rejects the form — not "js-libp2p 2.x rejects", not "ignore".
const JS_REJECTS = /js-libp2p (?:3\.x )?rejects/

function jsDecision (bytes) {
  try {
    preSharedKey({ psk: new Uint8Array(bytes) })()
    return 'accept'
  } catch (err) {
    assert.match(err.message, /private shared key is invalid/i)
    return 'reject'
  }
}

// Fresh key bytes for this run; the weak-key rule must not interfere with the other rows.
const k = { bytes: randomBytes(32), extra: randomBytes(1) }
k.hex = k.bytes.toString('hex')
const fp = kuboFingerprint(k.bytes)
const dir = tempDir('table')

test(`pnet table: ${variants.length} variants of one fresh key (Kubo fingerprint ${fp})`, async (t) => {
  for (const v of variants) {
    const keydWant = v.keyd ?? v.go
    await t.test(`${v.id}: go ${v.go}, js ${v.js}, keyd ${keydWant}${v.row ? '' : ' (weak key)'}`, (st) => {
      const bytes = v.build(k)
      const file = join(dir, `${v.id}.key`)
      writeFileSync(file, bytes, { mode: 0o600 })

      const js = jsDecision(bytes)
      assert.equal(js, v.js, `js-libp2p ${js}s ${v.id}; the table says ${v.js}`)

      const r = inspect(file)
      const keydGot = r.valid ? 'accept' : 'reject'
      st.diagnostic(`keyd: ${keydGot}${r.valid ? ` (${r.encoding}, fp ${r.fingerprint})` : `: ${r.error}`}` +
        (r.warnings?.length ? ` | warnings: ${r.warnings.join(' / ')}` : ''))
      assert.equal(keydGot, keydWant, `keyd ${keydGot}s ${v.id}, go-libp2p ${v.go}s it: ${r.error ?? r.warnings}`)
      assert.equal(r.status, r.valid ? 0 : 1, 'exit status follows validity')
      if (!r.valid) return

      assert.equal(r.fingerprint, fp, 'keyd decodes the same 32 bytes go-libp2p would use')
      const jsWarnings = r.warnings.filter((w) => JS_REJECTS.test(w))
      if (js === 'reject') {
        assert.ok(jsWarnings.length > 0, `js-libp2p rejects ${v.id} but keyd does not warn that it does: ${JSON.stringify(r.warnings)}`)
      } else {
        assert.deepEqual(jsWarnings, [], `js-libp2p accepts ${v.id} but keyd warns that it rejects it`)
      }
      const shouldWarn = js === 'reject' || Boolean(v.nonCanonical)
      assert.equal(r.warnings.length > 0, shouldWarn,
        `keyd ${r.warnings.length ? 'warns' : 'does not warn'} on ${v.id}: ${JSON.stringify(r.warnings)}`)
    })
  }
})

// The fixture covers every row of the reference table, with the same columns.
// shared/ sits beside the checkout (…/main and …/shared), for developers and for CI alike.
const referencePath = resolve(here, '../../../shared/reference/swarm-key.md')
test('pnet table: the fixture covers every row of shared/reference/swarm-key.md', () => {
  // A missing table fails this test: it is never skipped (tests/e2e/run.sh also checks first).
  assert.ok(existsSync(referencePath), `${referencePath} not found: shared/ must sit beside the checkout`)
  const md = readFileSync(referencePath, 'utf8')
  const section = md.slice(md.indexOf('## What the two real parsers accept'))
  const rows = section.split('\n').filter((l) => l.startsWith('|')).slice(2)
    .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()))
    .filter((c) => c.length === 3)
  assert.ok(rows.length >= 15, `found ${rows.length} table rows`)
  const word = (cell) => cell.split(/\s/)[0]
  for (const [row, go, js] of rows) {
    const fixtures = variants.filter((v) => v.row === row)
    assert.ok(fixtures.length > 0, `no fixture for table row "${row}"`)
    for (const v of fixtures) {
      assert.equal(v.go, word(go), `${v.id}: go column is "${go}"`)
      assert.equal(v.js, word(js), `${v.id}: js column is "${js}"`)
    }
  }
  const tableRows = new Set(rows.map(([row]) => row))
  for (const v of variants) if (v.row !== null) assert.ok(tableRows.has(v.row), `${v.id}: row "${v.row}" is not in the table`)
})
