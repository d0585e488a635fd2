/// <reference types="vitest/config" />
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import tailwindcss from '@tailwindcss/vite'
import react from '@vitejs/plugin-react'
import { defineConfig, type Plugin } from 'vite'

// The Go package web embeds dist whole; its committed placeholder must
// survive the build, which empties dist first.
function keepPlaceholder(): Plugin {
  return {
    name: 'keep-dist-placeholder',
    apply: 'build',
    closeBundle() {
      writeFileSync(
        resolve(import.meta.dirname, 'dist/.gitkeep'),
        'Placeholder: `make build` (npm run build) writes the dashboard here and keeps this file,\n' +
          'so the Go package web compiles on a clean checkout without Node.js.\n',
      )
    },
  }
}

export default defineConfig({
  plugins: [react(), tailwindcss(), keepPlaceholder()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The Content-Security-Policy forbids inline scripts: never inline the
    // module-preload helper or small assets as data: scripts.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: {
    // `npm run dev` talks to a local `make run`.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    restoreMocks: true,
    // A bound, not a measurement: on a busy shared machine a test that
    // renders a page and types into it can take several seconds.
    testTimeout: 30_000,
  },
})
