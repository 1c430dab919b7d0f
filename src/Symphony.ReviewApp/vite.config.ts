import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

// Built into the server's wwwroot/review (git-ignored), which the server serves at /review/.
export default defineConfig({
  base: "/review/",
  build: {
    outDir: resolve(__dirname, "../Symphony.Fhir.Server/wwwroot/review"),
    emptyOutDir: true,
    rollupOptions: { input: { index: resolve(__dirname, "index.html"), launch: resolve(__dirname, "launch.html") } },
  },
  test: { environment: "node", include: ["test/**/*.test.ts"] },
});
