#!/usr/bin/env node
// A poly-secret-mcp stand-in for keyd's tests: the real MCP SDK (McpServer over stdio), poly-secret-mcp's
// Vault tools, and the vault CLI emulated over HTTP against the Vault double. See README.md.
//
// Environment: VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CLIENT_TIMEOUT, VAULT_MAX_RETRIES (as the
// vault CLI); MCP_DOUBLE_FAULT (comma-separated faults, see lib/faults.mjs); MCP_DOUBLE_PID_FILE (our pid
// is written there at start); MCP_DOUBLE_CALL_LOG (one JSON line per tools/call: tool and argument
// names, never values).
import fs from 'node:fs';
import process from 'node:process';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { FaultyStdioTransport, floodStderr, parseFaults } from './lib/faults.mjs';
import { registerTools, vaultTools } from './lib/tools.mjs';
import { VaultCli } from './lib/vault-cli.mjs';
import { VaultHttp } from './lib/vault-http.mjs';

const VERSION = '1.0.0';
const log = (line) => process.stderr.write(line + '\n');  // synchronous for pipes and files

function writePidFile(file) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${process.pid}\n`);
  fs.renameSync(tmp, file);
}

// A second, independent writer for the concurrent-writer fault: a version of the same path written
// straight to Vault just before ours.
function concurrentWriter(cli) {
  return async (path) => {
    const run = await cli.kvPut(path, ['writer=mcp-double-concurrent-writer']);
    log(run.code === 0 ? `mcp-double: concurrent-writer wrote an extra version of ${path}`
                       : `mcp-double: concurrent-writer could not write ${path} (exit ${run.code})`);
  };
}

// tamper-write: Vault gets other data than asked — the fingerprint changed, else the first field.
function tamper(data) {
  const out = { ...data };
  const key = 'fingerprint' in out ? 'fingerprint' : Object.keys(out).sort()[0];
  if (key !== undefined) out[key] = `tampered-${typeof out[key] === 'string' ? out[key] : JSON.stringify(out[key])}`;
  log('mcp-double: tamper-write altered the data sent to Vault');
  return out;
}

async function main() {
  // The client went away while we were answering: nothing left to do.
  process.stdout.on('error', (err) => process.exit(err.code === 'EPIPE' ? 0 : 1));
  if (process.env.MCP_DOUBLE_PID_FILE) writePidFile(process.env.MCP_DOUBLE_PID_FILE);
  let faults;
  try {
    faults = parseFaults(process.env.MCP_DOUBLE_FAULT);
  } catch (err) {
    log(`mcp-double: ${err.message}`);
    process.exit(2);
  }
  if (faults.size) log(`mcp-double: faults: ${[...faults].join(', ')}`);
  if (faults.has('exit-at-start')) {
    log('mcp-double: exit-at-start fault: exiting with status 3 before reading stdin');
    process.exit(3);
  }
  if (faults.has('stderr-flood')) floodStderr('start');
  if (faults.has('silent')) {
    log('mcp-double: silent fault: reading stdin, answering nothing');
    process.stdin.on('data', () => {});
    return;
  }

  const cli = new VaultCli(new VaultHttp(process.env));
  const server = new McpServer({ name: 'poly-secret-mcp', version: VERSION });

  // poly-secret-mcp's adapter.connect(): `vault status`, exit 0 or 2 (sealed) counts as connected; if
  // not, no tool is registered and tools/list answers "Method not found".
  const status = await cli.status();
  const connected = status.code === 0 || status.code === 2;
  let names = [];
  if (connected) {
    const tools = vaultTools(cli, {
      beforeWrite: faults.has('concurrent-writer') ? concurrentWriter(cli) : undefined,
      transformWrite: faults.has('tamper-write') ? tamper : undefined,
    });
    names = registerTools(server, tools, {
      only: faults.has('missing-tools') ? ['vault_read', 'vault_status'] : undefined,
      dropArguments: faults.has('drop-arguments'),
    });
  } else {
    log('Failed to connect vault: Failed to connect to Vault');
  }

  const transport = new FaultyStdioTransport(faults, { callLog: process.env.MCP_DOUBLE_CALL_LOG });
  await server.connect(transport);

  log(`poly-secret-mcp v${VERSION} (STDIO mode)`);
  log('Secret managers: Vault, Infisical, SOPS, 1Password, Bitwarden');
  log(`${connected ? 1 : 0} adapter(s), ${names.length} tools`);
  log('mcp-double: keyd test double (tests/doubles/mcp), vault CLI emulated over HTTP');
}

main().catch((err) => {
  log(`mcp-double: ${err.stack || err}`);
  process.exit(1);
});
