/**
 * A real Django project for the interop tests: a temp dir with settings.py
 * (USE_TZ = True, a SECRET_KEY, contrib auth and sessions), the database
 * created by Django's own `migrate`, and one long-lived Python process
 * (test/django/driver.py) that answers batched requests, so a test file
 * starts one interpreter.
 *
 * Django missing is an error, not a skip: scripts/system-deps.sh installs it.
 *
 * @module
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const PYTHON = "/usr/bin/python3";
const DRIVER = join(dirname(fileURLToPath(import.meta.url)), "driver.py");

/** Where Django keeps its tables. */
export type DjangoDatabase =
  | { engine: "sqlite" }
  | { engine: "postgres"; host: string; port: number; user: string; name: string };

/** A running Django project. */
export interface DjangoProject {
  /** The project's directory (settings.py, db.sqlite3). */
  readonly dir: string;
  /** The SQLite database file (for `engine: "sqlite"`). */
  readonly sqlitePath: string;
  /** Django's version, e.g. "3.2.25". */
  readonly version: string;
  /** Django's name for the database in use: "sqlite" or "postgresql". */
  readonly vendor: string;
  /** The project's SECRET_KEY. */
  readonly secretKey: string;
  /** Sends one request to the driver and resolves its answer (rejects with Django's error and traceback). */
  call<T = any>(op: string, args?: Record<string, unknown>): Promise<T>;
  /** Ends the Python process and removes the directory. */
  close(): Promise<void>;
}

/** A Django-style secret key: 50 random characters after the `django-insecure-` prefix startproject writes. */
export function djangoSecretKey(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789!@#%^&*(-_=+)";
  const bytes = crypto.getRandomValues(new Uint8Array(50));
  return "django-insecure-" + [...bytes].map((b) => alphabet[b % alphabet.length]).join("");
}

function settingsPy(secretKey: string, database: DjangoDatabase, sqlitePath: string): string {
  const db =
    database.engine === "sqlite"
      ? `{"ENGINE": "django.db.backends.sqlite3", "NAME": ${JSON.stringify(sqlitePath)}}`
      : `{"ENGINE": "django.db.backends.postgresql", "HOST": ${JSON.stringify(database.host)}, "PORT": ${database.port}, ` +
        `"USER": ${JSON.stringify(database.user)}, "NAME": ${JSON.stringify(database.name)}}`;
  return [
    "# Written by test/django/django-project.ts: a minimal project, as startproject would set it up.",
    `SECRET_KEY = ${JSON.stringify(secretKey)}`,
    "DEBUG = False",
    'ALLOWED_HOSTS = ["*"]',
    "USE_TZ = True",
    'TIME_ZONE = "Europe/Paris"  # not UTC, so that a naive local time could not pass for UTC',
    "INSTALLED_APPS = ['django.contrib.contenttypes', 'django.contrib.auth', 'django.contrib.sessions']",
    "MIDDLEWARE = ['django.contrib.sessions.middleware.SessionMiddleware', 'django.contrib.auth.middleware.AuthenticationMiddleware']",
    'SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"',
    `DATABASES = {"default": ${db}}`,
    'PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]',
    'DEFAULT_AUTO_FIELD = "django.db.models.AutoField"',
    "",
  ].join("\n");
}

/**
 * Creates the project, runs `migrate` and starts the driver.
 *
 * @param options the database (SQLite file in the project dir by default) and the secret key
 * @returns the running project
 */
export async function startDjango(options: { database?: DjangoDatabase; secretKey?: string } = {}): Promise<DjangoProject> {
  const dir = mkdtempSync(join(tmpdir(), "fetch-session-django-"));
  const sqlitePath = join(dir, "db.sqlite3");
  const secretKey = options.secretKey ?? djangoSecretKey();
  writeFileSync(join(dir, "settings.py"), settingsPy(secretKey, options.database ?? { engine: "sqlite" }, sqlitePath));
  // A project's own subclass of the database SessionStore: Django signs its rows with "django.contrib.sessions.CustomStore".
  writeFileSync(
    join(dir, "custom_sessions.py"),
    "from django.contrib.sessions.backends.db import SessionStore as DatabaseStore\n\n\n" +
      "class CustomStore(DatabaseStore):\n    pass\n\n\nSessionStore = CustomStore\n",
  );
  const child: ChildProcessWithoutNullStreams = spawn(PYTHON, ["-u", DRIVER], {
    cwd: dir,
    env: { ...process.env, PYTHONPATH: dir, DJANGO_SETTINGS_MODULE: "settings", PYTHONDONTWRITEBYTECODE: "1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const pending = new Map<number, { resolve(value: any): void; reject(error: Error): void }>();
  let nextId = 0;
  let exited = false;
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const lines = createInterface({ input: child.stdout });
  const ready = new Promise<{ django: string; vendor: string }>((resolve, reject) => {
    child.once("exit", (code) => {
      exited = true;
      const error = new Error(`Django driver exited (${code}):\n${stderr}`);
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
    lines.on("line", (line) => {
      let message: { ready?: boolean; django?: string; vendor?: string; id?: number; ok?: unknown; error?: string };
      try {
        message = JSON.parse(line);
      } catch {
        const error = new Error(`Django driver wrote a line that is not JSON: ${line.slice(0, 300)}`);
        for (const waiter of pending.values()) waiter.reject(error);
        pending.clear();
        return reject(error);
      }
      if (message.ready) return resolve({ django: message.django!, vendor: message.vendor! });
      const waiter = pending.get(message.id!);
      if (!waiter) return;
      pending.delete(message.id!);
      if (message.error !== undefined) waiter.reject(new Error(`Django: ${message.error}`));
      else waiter.resolve(message.ok);
    });
  });
  let version: string;
  let vendor: string;
  try {
    ({ django: version, vendor } = await ready);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    dir,
    sqlitePath,
    version,
    vendor,
    secretKey,
    call(op, args = {}) {
      if (exited) return Promise.reject(new Error(`Django driver has exited:\n${stderr}`));
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.stdin.write(JSON.stringify({ id, op, args }) + "\n");
      });
    },
    async close() {
      process.removeListener("exit", killOnExit);
      if (!exited) {
        const done = new Promise((resolve) => child.once("exit", resolve));
        child.stdin.end();
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await done;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The request/response record the driver's `request` op returns. */
export interface DjangoResponse {
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  user_id_before: number | null;
  test_cookie_worked: boolean;
  session_key: string | null;
  expiry_age: number;
  status: number;
  cookie: { value: string; max_age: string } | null;
}
