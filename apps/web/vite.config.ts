import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `pnpm dev`: Vite with hot reload in front of a running API (API_URL, default `pnpm start`'s).
const api = process.env.API_URL ?? 'http://localhost:3000';
// The API's CSRF check trusts its own origin: proxied calls say they come from there.
const toApi = { target: api, headers: { origin: api } };

export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: { manifest: true, target: 'es2022' },
  server: { proxy: { '/trpc': toApi, '/api': toApi } },
});
