import { existsSync } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startBun, type ExampleServer } from "../helpers/servers.ts";

/** Debian's chromium package; `.ci/run` installs it. Never a downloaded browser. */
const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "test", "artifacts");

describe("examples/bun.ts in headless Chromium", () => {
  let server: ExampleServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    await mkdir(ARTIFACTS, { recursive: true });
    server = await startBun("examples/bun.ts");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    context = await browser.newContext({ baseURL: server.url, viewport: { width: 800, height: 600 } });
    page = await context.newPage();
  });

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      await server?.stop();
    }
  });

  const text = async () => (await page.locator("main").innerText()).replace(/\s+/g, " ");

  it("counts visits, logs in through the form, shows the flash once, and logs out", async () => {
    await page.goto("/");
    expect(await text()).toContain("You have visited this page 1 time.");
    expect(await text()).toContain("You are not logged in.");
    await page.reload();
    expect(await text()).toContain("You have visited this page 2 times.");

    await page.getByRole("link", { name: "Log in" }).click();
    await page.waitForURL("**/login");
    await page.getByLabel("Username").fill("demo");
    await page.getByLabel("Password").fill("wrong");
    await page.getByRole("button", { name: "Log in" }).click();
    expect(await text()).toContain("Your username and password didn't match.");

    const before = (await context.cookies()).find((cookie) => cookie.name === "sessionid")?.value;
    await page.getByLabel("Username").fill("demo");
    await page.getByLabel("Password").fill("demo");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL((url) => url.pathname === "/");
    expect(await page.getByRole("status").innerText()).toBe("Welcome back, demo!");
    expect(await text()).toContain("You have visited this page 3 times.");
    expect(await text()).toContain("Logged in as demo.");

    // The session cookie is HttpOnly: the browser holds it, page scripts cannot read it.
    const cookie = (await context.cookies()).find((c) => c.name === "sessionid");
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe("Lax");
    expect(cookie?.value).toMatch(/^[a-z0-9]{32}$/);
    expect(cookie?.value).not.toBe(before); // cycleKey() on login
    expect(await page.evaluate(() => document.cookie)).not.toContain("sessionid");

    const screenshot = join(ARTIFACTS, "browser-after-login.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    expect((await stat(screenshot)).size).toBeGreaterThan(1000);

    await page.reload();
    expect(await text()).toContain("You have visited this page 4 times.");
    expect(await page.getByRole("status").count()).toBe(0);

    await page.getByLabel("Comment").fill("Works in a real browser");
    await page.getByRole("button", { name: "Post comment" }).click();
    expect(await text()).toContain("Thanks for your comment!");
    await page.getByRole("link", { name: "Home" }).click();
    expect(await text()).toContain("You have visited this page 5 times.");
    expect(await page.getByRole("button", { name: "Post comment" }).count()).toBe(0);

    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL((url) => url.pathname === "/");
    expect(await text()).toContain("You have visited this page 1 time.");
    expect(await text()).toContain("You are not logged in.");
    const fresh = (await context.cookies()).find((c) => c.name === "sessionid");
    expect(fresh?.value).not.toBe(cookie?.value);
    await page.screenshot({ path: join(ARTIFACTS, "browser-after-logout.png"), fullPage: true });
  });
});
