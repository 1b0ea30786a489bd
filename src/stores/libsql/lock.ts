/**
 * The one lock of the libSQL drivers (internal).
 *
 * @module
 */

const FREE: Promise<void> = Promise.resolve();

/**
 * A first-come, first-served lock for one database connection. Free, it is
 * taken at once (an already resolved promise, no allocation); held, each
 * caller waits its turn, and `unlock()` hands the lock to the next waiter
 * without releasing it in between.
 */
export class Lock {
  #locked = false;
  readonly #waiters: (() => void)[] = [];

  /** Whether someone holds the lock. */
  get locked(): boolean {
    return this.#locked;
  }

  /** @returns a promise that resolves once the caller holds the lock */
  lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return FREE;
    }
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Releases the lock, or hands it to the next waiter. */
  unlock(): void {
    const next = this.#waiters.shift();
    if (next === undefined) this.#locked = false;
    else next();
  }
}
