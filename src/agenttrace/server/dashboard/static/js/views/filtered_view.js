// What the live and metrics views share: the session filters kept in the URL fragment, a
// poller with its live indicator, and the view lifecycle the router drives.

import { liveIndicator } from "../components.js";
import { Poller } from "../poll.js";
import { replaceHash } from "../router.js";
import { SessionFilters, readFilters, writeFilters } from "./session_filters.js";

export class FilteredView {
  /**
   * route: the fragment's first part; pollMs: how often refresh() runs; read / write: the
   * state from and to URL parameters. A subclass sets its own fields, then calls start(),
   * and defines render(), reload() (the filters changed) and refresh() (a poll).
   */
  constructor(root, params, { route, pollMs, read = readFilters, write = writeFilters }) {
    this.root = root;
    this.route = route;
    this.read = read;
    this.write = write;
    this.state = read(params);
    this.controller = null;
    this.poller = new Poller(() => this.refresh(), pollMs);
    this.live = liveIndicator(this.poller);
    this.filters = new SessionFilters(this.state, (changes) => this.setState(changes));
  }

  start() {
    this.render();
    this.poller.start();
    this.reload();
  }

  destroy() {
    this.poller.stop();
    this.filters.destroy();
    this.controller?.abort();
  }

  /** The URL changed under us (back/forward): adopt its state. */
  update(params) {
    this.state = this.read(params);
    this.filters.sync(this.state);
    this.synced();
    this.reload();
  }

  /** Show a state adopted from the URL in the view's own controls (none by default). */
  synced() {}

  setState(changes) {
    this.state = { ...this.state, ...changes };
    replaceHash([this.route], this.write(this.state));
    this.filters.sync(this.state);
    this.reload();
  }

  /** A new AbortController for the next load, aborting the previous one. */
  nextController() {
    this.controller?.abort();
    this.controller = new AbortController();
    return this.controller;
  }
}
