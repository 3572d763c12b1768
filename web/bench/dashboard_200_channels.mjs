// Measures the dashboard with 200 channels: the time from opening the page
// to every row shown, and what each live `stats` event costs the page's
// script, while messages arrive on some of the channels. Not part of ctest;
// run by hand (figures in docs/console.md):
//   node web/bench/dashboard_200_channels.mjs build/artery build/plugins build/console
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [artery, plugins, consoleDir] = process.argv.slice(2).map((p) => path.resolve(p));
if (!artery || !plugins || !consoleDir) {
  console.error('usage: dashboard_200_channels.mjs ARTERY PLUGIN_DIR CONSOLE_DIR');
  process.exit(2);
}
const CHANNELS = 200;
const password = 'dashboard bench password';
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'artery-dashboard-'));
fs.mkdirSync(path.join(dir, 'channels'));
const ports = [];
for (let i = 0; i < CHANNELS; i++) {
  const port = await freePort();
  ports.push(port);
  const name = `ward-${String(i).padStart(3, '0')}`;
  fs.writeFileSync(
    path.join(dir, 'channels', `${name}.yaml`),
    `name: ${name}\ndescription: bench channel ${i}\nsource:\n  type: mllp\n  listen: 127.0.0.1:${port}\n` +
      `destinations:\n  - name: archive\n    type: file\n    directory: ${path.join(dir, 'out', name)}\n    filename: all.hl7\n    mode: append\n`,
  );
}
const http = await freePort();
const engine = spawn(artery, ['run', '--channels', path.join(dir, 'channels'), '--data', path.join(dir, 'data'),
  '--plugins', plugins, '--http', `127.0.0.1:${http}`], {
  env: { ...process.env, ARTERY_ADMIN_PASSWORD: password, ARTERY_CONSOLE_DIR: consoleDir },
  stdio: ["ignore", fs.openSync(path.join(dir, "engine.log"), "w"), fs.openSync(path.join(dir, "engine.log"), "a")],
});
const base = `http://127.0.0.1:${http}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/api/health`)).status) break;
  } catch {}
  if (i > 300) throw new Error('the engine did not start');
  await sleep(100);
}

// Traffic on 20 channels while the page is measured.
let sending = true;
const traffic = (async () => {
  const sockets = await Promise.all(ports.slice(0, 20).map((p) => new Promise((r) => { const s = net.connect(p, '127.0.0.1', () => r(s)); s.on('data', () => {}); })));
  let n = 0;
  while (sending) {
    for (const s of sockets)
      s.write(`\x0bMSH|^~\\&|A|B|C|D|20261201120000||ORU^R01|B${n++}|P|2.5\rPID|1||P${n}\x1c\r`);
    await sleep(100);
  }
  for (const s of sockets) s.end();
})();

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
await page.goto(`${base}/login`);
await page.fill('input[name=user]', 'admin');
await page.fill('input[name=password]', password);
await page.click('form.login button[type=submit]');
await page.locator('table.channels tbody tr').first().waitFor({ timeout: 20000 });

const loads = [];
for (let i = 0; i < 5; i++) {
  const t0 = Date.now();
  await page.goto(`${base}/`);
  await page.waitForFunction((n) => document.querySelectorAll('table.channels tbody tr').length === n, CHANNELS, { timeout: 20000 });
  loads.push(Date.now() - t0);
}
const updates = [];
for (let i = 0; i < 20; i++) {
  await sleep(1000);
  updates.push(Number(await page.locator('table.channels').getAttribute('data-update-ms')));
}
sending = false;
await traffic;
await browser.close();
engine.kill('SIGTERM');
await new Promise((r) => engine.on('exit', r));
fs.rmSync(dir, { recursive: true, force: true });

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`dashboard, ${CHANNELS} channels: page open to every row shown: median ${median(loads)} ms (runs ${loads.join(', ')} ms)`);
console.log(`one stats event (update of ${CHANNELS} rows): median ${median(updates).toFixed(2)} ms, max ${Math.max(...updates).toFixed(2)} ms`);
