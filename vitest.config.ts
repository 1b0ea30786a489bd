import { defineConfig } from "vitest/config";

/**
 * Test groups. `npm run test:unit` runs only the `unit` project (in process,
 * no system packages, seconds); `npm test` runs every project. Run one group
 * with `npx vitest run --project <name>`.
 */
export default defineConfig({
  test: {
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 10_000,
          hookTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: {
          // Model-based property tests: long random runs against every store (each test sets its own timeout).
          name: "model",
          include: ["test/model/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          // Real databases, runtimes, browsers, Django, the packed package: needs scripts/system-deps.sh.
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: ["test/unit/**", "test/model/**"],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
