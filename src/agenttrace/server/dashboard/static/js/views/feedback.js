// Thumbs up / down on a session: the boolean score "thumbs" (source "dashboard") through
// POST /v1/scores. The buttons show the latest thumbs given from the dashboard and how
// many of the session's thumbs were up.

import { getJSON, postJSON } from "../api.js";
import { h, replaceChildren } from "../dom.js";

const NAME = "thumbs";

export class FeedbackControl {
  constructor(sessionId) {
    this.sessionId = sessionId;
    this.up = h("button", { type: "button", class: "button button-small thumb", "aria-pressed": "false", "aria-label": "Thumbs up", title: "A good session", onclick: () => this.give(true) }, "▲ Good");
    this.down = h("button", { type: "button", class: "button button-small thumb", "aria-pressed": "false", "aria-label": "Thumbs down", title: "A bad session", onclick: () => this.give(false) }, "▼ Bad");
    this.note = h("span", { class: "muted feedback-note", role: "status" });
    this.element = h("div", { class: "feedback", role: "group", "aria-label": "Feedback on this session" }, this.up, this.down, this.note);
    this.refresh();
  }

  show(scores) {
    const thumbs = scores.filter((s) => s.name === NAME && s.kind === "boolean");
    const mine = thumbs.filter((s) => s.source === "dashboard").at(-1);
    this.up.setAttribute("aria-pressed", String(mine?.value === true));
    this.down.setAttribute("aria-pressed", String(mine?.value === false));
    const ups = thumbs.filter((s) => s.value === true).length;
    replaceChildren(this.note, thumbs.length ? `${ups} of ${thumbs.length} up` : "No feedback yet");
  }

  async refresh() {
    try {
      const answer = await getJSON("v1/scores", { session_id: this.sessionId });
      this.show(answer.scores);
    } catch {
      replaceChildren(this.note, "");
    }
  }

  async give(value) {
    this.up.disabled = this.down.disabled = true;
    try {
      await postJSON("v1/scores", { session_id: this.sessionId, name: NAME, value, source: "dashboard" });
      await this.refresh();
    } catch (error) {
      replaceChildren(this.note, `Not saved: ${error.message}`);
    } finally {
      this.up.disabled = this.down.disabled = false;
    }
  }
}
