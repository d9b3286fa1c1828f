// Run a refresh every few seconds while the tab is visible; never two at once.

export class Poller {
  /** fn: async () => void, called every intervalMs after the previous call settled. */
  constructor(fn, intervalMs) {
    this.fn = fn;
    this.intervalMs = intervalMs;
    this.timer = null;
    this.running = false;
    this.paused = false;
    this.stopped = true;
    this.onVisibility = () => {
      if (!document.hidden && !this.stopped && !this.paused) this.now();
    };
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    document.addEventListener("visibilitychange", this.onVisibility);
    this.schedule();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    document.removeEventListener("visibilitychange", this.onVisibility);
  }

  setPaused(paused) {
    this.paused = paused;
    if (!paused) this.now();
  }

  /** Refresh right away (and then every intervalMs again). */
  now() {
    clearTimeout(this.timer);
    this.tick();
  }

  schedule() {
    clearTimeout(this.timer);
    if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.intervalMs);
  }

  async tick() {
    if (this.stopped) return;
    if (this.running || this.paused || document.hidden) {
      this.schedule();
      return;
    }
    this.running = true;
    try {
      await this.fn();
    } catch {
      // The view shows its own errors; polling goes on.
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
