// poly-secret-mcp's Vault tools (names, arguments, handler semantics of lib/es6/src/adapters/Vault.res.js
// and the result/error wrapping of main.js), on top of the emulated vault CLI.
import { z } from 'zod';

const PATH_REQUIRED = 'path parameter is required';
const DATA_REQUIRED = "data parameter is required (string 'key=val key2=val2' or array)";

// main.js: a handler's value is JSON.stringify(value, null, 2); a thrown error is "Error: " + message,
// where the message is the vault process's stderr, verbatim.
const textResult = (value) => ({ content: [{ type: 'text', text: JSON.stringify(value, null, 2) }] });
const errorResult = (message) => ({ content: [{ type: 'text', text: `Error: ${message}` }], isError: true });

// Vault.res.js: a non-zero exit raises stderr; stdout that is not JSON becomes {fallbackKey: …}.
function parsed(run, fallback) {
  if (run.code !== 0) throw new Error(run.stderr);
  try {
    return JSON.parse(run.stdout);
  } catch {
    return fallback(run.stdout);
  }
}

function requirePath(args) {
  if (typeof args?.path !== 'string') throw new Error(PATH_REQUIRED);
  return args.path;
}

// The tool table. hooks: {beforeWrite(path), transformWrite(data)} for the concurrent-writer and
// tamper-write faults.
export function vaultTools(cli, hooks = {}) {
  return {
    vault_read: {
      description: 'Read a secret from Vault KV store',
      inputSchema: {
        path: z.string().describe('Secret path (e.g., secret/myapp)'),
        field: z.string().optional().describe('Specific field to retrieve (optional)'),
      },
      needsPath: true,
      handler: async (args) => {
        const path = requirePath(args);
        const field = typeof args.field === 'string' ? args.field : undefined;
        return parsed(await cli.kvGet(path, field), (out) => ({ value: out.trim() }));
      },
    },
    vault_write: {
      description: 'Write a secret to Vault KV store',
      inputSchema: {
        path: z.string().describe('Secret path (e.g., secret/myapp)'),
        data: z.union([z.string(), z.array(z.string())])
                  .describe("Secret data: 'key=val key2=val2' (split on spaces) or an array of 'key=val' strings"),
      },
      needsPath: true,
      handler: async (args) => {
        const path = requirePath(args);
        let pairs;
        if (Array.isArray(args.data)) pairs = args.data.filter((x) => typeof x === 'string');
        else if (typeof args.data === 'string') pairs = args.data.split(' ');
        else throw new Error(DATA_REQUIRED);
        if (hooks.beforeWrite) await hooks.beforeWrite(path);
        return parsed(await cli.kvPut(path, pairs, { transform: hooks.transformWrite }), () => ({ success: true }));
      },
    },
    vault_delete: {
      description: 'Delete a secret from Vault',
      inputSchema: {
        path: z.string().describe('Secret path'),
        versions: z.array(z.number().int()).optional().describe('Specific versions to delete (array of numbers)'),
      },
      needsPath: true,
      handler: async (args) => {
        const path = requirePath(args);
        const versions = Array.isArray(args.versions) ? args.versions.filter((x) => typeof x === 'number') : undefined;
        const run = await cli.kvDelete(path, versions && versions.length ? versions.map((n) => n | 0) : undefined);
        if (run.code !== 0) throw new Error(run.stderr);
        return { success: true };
      },
    },
    vault_list: {
      description: 'List secrets at a path',
      inputSchema: { path: z.string().describe('Path to list (e.g., secret/myapp)') },
      needsPath: true,
      handler: async (args) => parsed(await cli.kvList(requirePath(args)), (out) => ({ keys: out })),
    },
    vault_metadata: {
      description: 'Get secret metadata including versions',
      inputSchema: { path: z.string().describe('Secret path') },
      needsPath: true,
      handler: async (args) => parsed(await cli.kvMetadataGet(requirePath(args)), (out) => ({ metadata: out })),
    },
    vault_status: {
      description: 'Get Vault server status',
      inputSchema: {},
      needsPath: false,
      handler: async () => {
        const run = await cli.status();
        if (run.code !== 0 && run.code !== 2) throw new Error(run.stderr);
        try {
          return JSON.parse(run.stdout);
        } catch {
          return { status: run.stdout };
        }
      },
    },
  };
}

// Registers the tools on an McpServer. dropArguments mimics poly-secret-mcp with SDK ≤ 1.27, which took
// its JSON-schema object for annotations: no input schema, and handlers that never see the arguments.
export function registerTools(server, tools, { only, dropArguments = false } = {}) {
  const names = Object.keys(tools).filter((n) => !only || only.includes(n));
  for (const name of names) {
    const tool = tools[name];
    const run = async (args) => {
      try {
        return textResult(await tool.handler(args));
      } catch (err) {
        return errorResult(err.message);
      }
    };
    if (dropArguments) {
      server.registerTool(name, { description: tool.description }, async () => run({}));
    } else {
      server.registerTool(name, { description: tool.description, inputSchema: tool.inputSchema }, run);
    }
  }
  return names;
}
