// The console is built into the CMake build folder (build/console), where the
// engine looks for it next to its binary; web/CMakeLists.txt passes --outDir.
import { defineConfig } from 'vite';

export default defineConfig({
  root: __dirname,
  base: '/',
  build: {
    outDir: '../build/console',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    // One small bundle: the console has no lazy parts worth a second request.
    chunkSizeWarningLimit: 300,
  },
  // `npm run dev` against a running engine: /api goes to it.
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
