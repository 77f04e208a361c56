// The SDK's client side, re-exported so scripts outside this folder (tests/conformance/mcp) use the very
// SDK version pinned in this folder's package-lock.json.
export { Client } from '@modelcontextprotocol/sdk/client/index.js';
export { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
export {
  LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS, McpError, ErrorCode,
} from '@modelcontextprotocol/sdk/types.js';
