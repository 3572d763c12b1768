// The dashboard's cluster panel in a real browser (docs/cluster.md): a
// nats-server with JetStream, two `artery run` nodes with `cluster:` in
// their artery.yaml and the same clustered channel, the console of node a.
// The panel lists both nodes live with the same version of the channel; a
// deploy on node b alone (its script changes, its hot reload takes it)
// marks the versions as differing; node b SIGKILLed shows as gone.
//
// Run by CTest (tests/CMakeLists.txt: console_cluster_browser) with the
// same variables as console.test.mjs, plus ARTERY_NATS_SERVER (optional).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (CTest sets it; see tests/CMakeLists.txt)`);
  return value;
};
const ARTERY = env('ARTERY_BINARY');
const PLUGINS = env('ARTERY_PLUGIN_DIR');
const CONSOLE = env('ARTERY_CONSOLE_DIR');
const SHOTS = env('ARTERY_SCREENSHOTS');
const CHROMIUM = process.env.ARTERY_CHROMIUM || '/usr/bin/chromium';
const NATS_SERVER = process.env.ARTERY_NATS_SERVER || (fs.existsSync('/usr/bin/nats-server') ? '/usr/bin/nats-server' : '/usr/sbin/nats-server');
const PASSWORD = 'cluster panel test admin password';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, check, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

function spawnLogged(binary, args, dir, name, extraEnv = {}) {
  const logFile = path.join(dir, `${name}.log`);
  const log = fs.openSync(logFile, 'w');
  const child = spawn(binary, args, { cwd: dir, env: { ...process.env, ...extraEnv }, stdio: ['ignore', log, log] });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  return {
    child,
    log: () => fs.readFileSync(logFile, 'utf8'),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function startNats(dir) {
  const port = await freePort();
  const monitor = await freePort();
  const server = spawnLogged(
    NATS_SERVER,
    ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-js', '-sd', path.join(dir, 'jetstream')],
    dir,
    'nats',
  );
  await until('nats-server to answer /healthz', async () => {
    if (server.child.exitCode !== null) throw new Error(`nats-server exited:\n${server.log()}`);
    return (await fetch(`http://127.0.0.1:${monitor}/healthz`)).status === 200;
  });
  return { ...server, url: `nats://127.0.0.1:${port}` };
}

// One node: its own folder, artery.yaml naming it, the shared channel file.
async function startNode(root, name, natsUrl, inbox, script) {
  const dir = path.join(root, name);
  const httpPort = await freePort();
  fs.mkdirSync(path.join(dir, 'channels'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'artery.yaml'),
    `channels: channels\ndata: data\nplugins: ${PLUGINS}\nhttp: 127.0.0.1:${httpPort}\n` +
      `cluster:\n  node: ${name}\n  servers: [${natsUrl}]\n  reconnect_wait: 100ms\n  max_reconnect_wait: 500ms\n`,
  );
  // The same bytes on both nodes (a shared inbox folder, no per-node port),
  // as a shared checkout gives them: the same version.
  fs.writeFileSync(
    path.join(dir, 'channels', 'lab.yaml'),
    `name: lab\nsource:\n  type: file\n  directory: ${inbox}\nscript: lab.lua\n` +
      `cluster:\n  replicas: 1\n  ack_wait: 3s\ndestinations:\n  - name: out\n    type: file\n    directory: ${path.join(root, 'out')}\n    filename: lab.txt\n    mode: append\n`,
  );
  fs.writeFileSync(path.join(dir, 'channels', 'lab.lua'), script);
  const node = spawnLogged(ARTERY, ['run', '--config', path.join(dir, 'artery.yaml')], dir, 'engine', {
    ARTERY_ADMIN_PASSWORD: PASSWORD,
    ARTERY_CONSOLE_DIR: CONSOLE,
  });
  const base = `http://127.0.0.1:${httpPort}`;
  await until(
    `node ${name} to serve /api/health`,
    async () => {
      if (node.child.exitCode !== null) throw new Error(`artery run exited (${node.child.exitCode}):\n${node.log()}`);
      const r = await fetch(`${base}/api/health`);
      return r.status === 200 || r.status === 503;
    },
    30000,
  );
  return { ...node, dir, base, name };
}

const SCRIPT = 'local M = {}\nfunction M.transform(msg, ctx) return msg end\nreturn M\n';

test('the dashboard shows the cluster: nodes live and gone, versions that differ', { timeout: 180000 }, async () => {
  assert.ok(fs.existsSync(path.join(CONSOLE, 'index.html')), `the console is not built: no ${CONSOLE}/index.html`);
  assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium; make deps does it)`);
  assert.ok(fs.existsSync(NATS_SERVER), `no nats-server at ${NATS_SERVER} (apt-get install nats-server)`);
  fs.mkdirSync(SHOTS, { recursive: true });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'artery-cluster-panel-'));
  const inbox = path.join(root, 'inbox');
  fs.mkdirSync(inbox);
  let nats, a, b, browser, page;
  const errors = [];
  const version = (node) => page.locator(`section.cluster tr[data-node="${node}"] .version[data-channel="lab"]`);
  try {
    nats = await startNats(root);
    a = await startNode(root, 'node-a', nats.url, inbox, SCRIPT);
    b = await startNode(root, 'node-b', nats.url, inbox, SCRIPT);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 30000 });
    page = await (await browser.newContext({ viewport: { width: 1366, height: 860 } })).newPage();
    page.setDefaultTimeout(10000);
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${a.base}/`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name=user]', 'admin');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('form.login button[type=submit]');
    await page.locator('section.cluster').waitFor();

    // Both nodes, live, the same version of the clustered channel, none marked.
    await page.locator('section.cluster tr[data-node="node-b"] [data-state=live]').waitFor({ timeout: 15000 });
    await page.locator('section.cluster tr[data-node="node-a"] [data-state=live]').waitFor();
    assert.match(await page.locator('section.cluster tr[data-node="node-a"] th').innerText(), /this node/);
    const before = await version('node-a').getAttribute('data-version');
    assert.match(before, /^[0-9a-f]{16}$/);
    assert.equal(await version('node-b').getAttribute('data-version'), before);
    assert.equal(await page.locator('section.cluster .version.differs').count(), 0);
    await page.screenshot({ path: path.join(SHOTS, 'cluster-panel.png') });

    // A deploy that reached node b only: its version moves, and with no
    // majority left both are marked.
    fs.writeFileSync(path.join(b.dir, 'channels', 'lab.lua'), `${SCRIPT}-- version 2\n`);
    await until('node b to show another version', async () => (await version('node-b').getAttribute('data-version')) !== before, 20000);
    assert.equal(await version('node-a').getAttribute('data-version'), before);
    await page.locator('section.cluster tr[data-node="node-b"] .version.differs').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'cluster-panel-versions-differ.png') });

    // Node b dies without a word: within seconds it is shown as gone.
    await b.stop('SIGKILL');
    await page.locator('section.cluster tr[data-node="node-b"] [data-state=gone]').waitFor({ timeout: 15000 });
    assert.equal(await page.locator('section.cluster tr[data-node="node-a"] [data-state=live]').count(), 1);
    await page.screenshot({ path: path.join(SHOTS, 'cluster-panel-node-gone.png') });
    assert.deepEqual(errors, []);
  } catch (e) {
    await page?.screenshot({ path: path.join(SHOTS, 'cluster-panel-failed.png') }).catch(() => {});
    throw new Error(`${e.message}\n--- node-a:\n${a?.log().slice(-4000)}\n--- node-b:\n${b?.log().slice(-4000)}`);
  } finally {
    await browser?.close();
    await a?.stop();
    await b?.stop();
    await nats?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
