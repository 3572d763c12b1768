// The admin API as the console uses it. Every call goes through request():
// it sends the session's CSRF token on state-changing requests, turns the
// engine's {"error": "..."} answers into an ApiError with that text, and
// reports a lost session (401) so the console can go back to the login page.

export type Role = 'viewer' | 'operator' | 'admin';

export interface Counters {
  received: number;
  filtered: number;
  queued: number;
  sent: number;
  errored: number;
}

export interface Rates {
  received_per_second: number;
  sent_per_second: number;
  errored_per_second: number;
}

export interface Destination {
  name: string;
  type: string;
  counters: Counters;
}

export interface Connector {
  connector: string;
  bytes_in: number;
  bytes_out: number;
  connections_open: number;
  connections_total: number;
  connections_refused: number;
  connections_evicted: number;
  requests: number;
  errors: Record<string, number>;
}

export interface Channel {
  name: string;
  description?: string;
  file?: string;
  source: string;
  state: string;
  reason: string;
  counters: Counters;
  rates?: Rates;
  destinations: Destination[];
  connectors?: Connector[];
  // The last hot reload that concerned the channel (docs/reload.md); null: none in this run.
  last_reload?: { at: number; ok: boolean; error: string } | null;
}

// GET /api/cluster (docs/cluster.md): every node this engine has heard from.
export interface ClusterChannel {
  name: string;
  state: string;
  reason: string;
  clustered: boolean;
  version: string;
  counters: Counters;
}

export interface ClusterNode {
  node: string;
  self: boolean;
  gone: boolean;
  last_seen: number;
  age_ms: number;
  started: number;
  channels: ClusterChannel[];
}

export interface ClusterView {
  clustered: boolean;
  node?: string;
  problem?: string;
  nodes: ClusterNode[];
}

export interface StatsEvent {
  at_ms: number;
  channels: Channel[];
}

export interface MessageSummary {
  id: number;
  channel: string;
  received_at_ms: number;
  state: string;
  data_type: string;
  message_type: string;
  control_id: string;
  patient_id: string;
  origin_channel?: string;
  origin_message_id?: number;
}

export interface Delivery {
  destination: string;
  state: string;
  attempts: number;
  updated_ms: number;
  sent_content?: string;
  sent_unchanged?: boolean;
  response?: string;
  error?: string;
}

export interface MessageDetail extends MessageSummary {
  deliveries: Delivery[];
  content_included: boolean;
  raw?: string;
  transformed?: string;
  transformed_type?: string;
  error?: string;
  vars_json?: string;
  attributes_json?: string;
}

export interface MessagePage {
  messages: MessageSummary[];
  more: boolean;
  next_before?: number;
}

export interface Option {
  key: string;
  type: string;
  required: boolean;
  description: string;
  default?: string;
}

export interface PluginReloadResult {
  at_ms: number;
  ok: boolean;
  detail: string;
  error?: string;
}

export interface Plugin {
  name: string;
  version: string;
  description: string;
  api: string;
  builtin: boolean;
  file: string;
  copy: string; // the unique copy the library runs from
  sha256: string;
  loaded_at_ms: number;
  last_reload: PluginReloadResult | null;
  source: boolean;
  destination: boolean;
  source_options?: Option[];
  destination_options?: Option[];
}

export interface FileRefusal {
  file: string;
  reason: string;
}

export interface RetiredPlugin {
  name: string;
  version: string;
  copy: string;
  retired_at_ms: number;
  in_use: boolean;
  still_mapped: boolean;
}

export interface PluginReload {
  at_ms: number;
  ok: boolean;
  replaced: string[];
  added: string[];
  removed: string[];
  refused: FileRefusal[];
}

export interface PluginList {
  plugins: Plugin[];
  retired: RetiredPlugin[];
  refused: FileRefusal[];
  last_reload: PluginReload | null;
}

export interface PluginsReloadOutcome extends PluginReload {
  redeployed: string[];
  kept: { channel: string; reason: string }[];
  failed: { channel: string; reason: string }[];
  plugins: string; // the outcome in words
  error?: string;
}

export interface AuditEntry {
  id: number;
  at_ms: number;
  user: string;
  action: string;
  channel: string;
  message_id: number;
  address: string;
  ok: boolean;
  detail: string;
}

export interface User {
  name: string;
  role: Role;
  disabled?: boolean;
  created_ms?: number;
  password_changed_ms?: number;
}

export interface Session {
  user: string;
  role: Role;
  csrf_token: string;
}

export interface Health {
  status: 'healthy' | 'degraded' | 'critical';
  reasons: { level: string; channel: string; text: string }[];
  channels?: number;
  uptime_seconds?: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = '';
let onUnauthorized: () => void = () => {};

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, `the engine did not answer (${(e as Error).message})`);
  }
  const text = await response.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: an engine too old for this console, or a proxy's error page.
  }
  if (!response.ok) {
    const message =
      json && typeof json === 'object' && 'error' in json
        ? String((json as { error: unknown }).error)
        : `${response.status} ${response.statusText}`;
    // A 401 from login itself is a wrong password, not a lost session.
    if (response.status === 401 && path !== '/api/login') onUnauthorized();
    throw new ApiError(response.status, message);
  }
  return json as T;
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {});

// A query string from the non-empty values only.
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') q.set(key, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;
