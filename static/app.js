// ParrotChat web client: one WebSocket, plain DOM, no build step. Protocol: docs/protocol.md.
// Longer than our ~300-line aim: the connection, the room state and the event handlers share
// that state closely; self-contained parts live in directory.js, uploads.js and private.js.
//
// State model
// - `conn`: the connection. `ws` is the current socket (or null), `name` the name the user
//   asked for (re-sent in `hello` after every reconnect), `me` the normalized name from the
//   last `welcome`, `attempt` the reconnect attempt (drives the backoff), `refs` maps the
//   `ref` of a pending request to what it was ("hello" | "join") so that its error can be
//   shown next to the right form.
// - `rooms`: Map room name → room state, in join order. A room stays in the map across
//   reconnects (that is what we re-join, with `since` = `lastSeq` and `epoch` from the last
//   `joined`) and leaves it only on `left`. Each room owns its message list element (`log`),
//   its `members` (Map name → {owner, status}), `typing` (Map name → expiry timer) and
//   `unread` count. `active` is the name of the room shown.
// Server events are applied to this state by `handlers[event.type]`; rendering of the tabs,
// members and typing line is derived from it (`renderTabs`, `renderMembers`, `renderTyping`).
// Server HTML is inserted only from `message.html` (already safe: <strong>/<em> and escaped
// text); everything else goes through textContent. Each room also keeps `oldest` (the lowest
// seq shown) and `hasOlder`, for "Load older" (`history{before}`). `composer.attachment` is
// the uploaded file the next `send` carries; `uploads` maps an `attach` ref to its File.
// The page's CSP allows scripts, styles, images and connections from this origin only.
// Private rooms and invite links (the room bar, `?room=R&invite=T`): private.js; a room's
// `private` comes from `joined` and the privacy notices, `invite` is the owner's last link,
// `inviteToken` what we re-join with after a reconnect: the invite we came in with, replaced by
// the rejoin pass each `joined` of a private room hands out.

/** @typedef {import("../clients/typescript/parrotchat").ServerEvent} ServerEvent */
/** @typedef {import("../clients/typescript/parrotchat").MessageOut} MessageOut */

import { fetchRooms, renderDirectory } from "./directory.js";
import {
  copyText, describeInvite, forgetInviteInUrl, inviteErrorText, inviteFromUrl, lockMark,
  renderRoomBar, roomFromUrl,
} from "./private.js";
import { attachmentElement, precheck, putFile } from "./uploads.js";

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
// 4009: a node of several lost track of our rooms (docs/protocol.md 9): come back and re-join.
const RETRY_CODES = new Set([1001, 1006, 1011, 1012, 1013, 4008, 4009]);
const TYPING_EVERY_MS = 2000;

const OLDER_PAGE = 20;
const DIRECTORY_EVERY_MS = 10_000;

const conn = {
  ws: null, name: "", token: "", me: "", attempt: 0, timer: 0, refs: new Map(), nextRef: 1,
  welcomed: false, authenticated: false, limits: null, helloError: "",
};
const composer = { attachment: null, busy: false };
/** @type {Map<string, {file: File, room: string}>} */
const uploads = new Map();
let directoryTimer = 0;
/** @type {Map<string, any>} */
const rooms = new Map();
let active = "";
let shutdownDelay = 0;
/** The invite link the page was opened with ({room, token}), until a join has used it. */
let pendingInvite = inviteFromUrl();
/** Room name → what its pending join asked for ({private}). */
const asked = new Map();

// ---------------------------------------------------------------------------- connection

function wsUrl() {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
}

function send(event, kind) {
  if (!conn.ws || conn.ws.readyState !== WebSocket.OPEN) return false;
  if (kind) {
    event.ref = `r${conn.nextRef++}`;
    conn.refs.set(event.ref, kind);
  }
  conn.ws.send(JSON.stringify(event));
  return true;
}

function connect() {
  clearTimeout(conn.timer);
  $("reconnect").hidden = true;
  setStatus("connecting", conn.attempt ? "Reconnecting…" : "Connecting…");
  const ws = new WebSocket(wsUrl());
  conn.ws = ws;
  conn.welcomed = false;
  conn.helloError = "";
  ws.onopen = () => {
    const hello = { type: "hello", name: conn.name };
    if (conn.token) hello.token = conn.token;
    send(hello, "hello");
  };
  ws.onmessage = (e) => {
    let event;
    try { event = JSON.parse(e.data); } catch { return; }
    const handler = handlers[event.type];
    if (handler) handler(event);
  };
  ws.onclose = (e) => onClose(ws, e.code);
}

function onClose(ws, code) {
  if (ws !== conn.ws) return;
  conn.ws = null;
  conn.refs.clear();
  for (const room of rooms.values()) clearTyping(room);
  renderTyping();
  if (!conn.welcomed && conn.attempt === 0) {
    // The first hello never got through: back to the name form.
    setStatus("offline", "Not connected");
    if (code !== 1000 && !conn.helloError) showFieldError("name-error", `Could not connect (close ${code}).`);
    return;
  }
  if (code === 4000) {
    setStatus("offline", "Disconnected for inactivity — click to reconnect");
    $("reconnect").hidden = false;
    return;
  }
  if (code === 1000 || !RETRY_CODES.has(code)) {
    setStatus("offline", `Disconnected (close ${code})`);
    $("reconnect").hidden = false;
    return;
  }
  const backoff = Math.min(30_000, 500 * 2 ** conn.attempt) * (0.5 + Math.random() / 2);
  const delay = code === 1001 && shutdownDelay ? shutdownDelay : backoff;
  shutdownDelay = 0;
  conn.attempt += 1;
  setStatus("connecting", `Connection lost — reconnecting in ${Math.ceil(delay / 1000)} s…`);
  $("reconnect").hidden = false;
  conn.timer = setTimeout(connect, delay);
}

function joinRoom(name, resume, options = {}) {
  const event = { type: "join", room: name };
  if (resume && resume.epoch) Object.assign(event, { since: resume.lastSeq, epoch: resume.epoch });
  // A re-join after a reconnect asks again for what the room was (should it have to be
  // created again) and carries the invite we got in with (a private room wants one again).
  const wantsPrivate = resume ? resume.private : options.private;
  const invite = resume ? resume.inviteToken : options.invite;
  if (wantsPrivate) event.private = true;
  if (invite) event.invite = invite;
  if (send(event, resume ? "rejoin" : "join") && !resume) {
    asked.set(name, { private: !!options.private, invite: options.invite || "" });
  }
}

/** Join with the invite link the page was opened with; it leaves the address bar now. */
function useInvite() {
  const invite = pendingInvite;
  if (!invite) return false;
  pendingInvite = null;
  forgetInviteInUrl();
  if (rooms.has(invite.room)) { selectRoom(invite.room); return true; }
  showFieldError("room-error", "");
  joinRoom(invite.room, null, { invite: invite.token });
  return true;
}

// ---------------------------------------------------------------------------- server events

const handlers = {
  welcome(e) {
    conn.welcomed = true;
    conn.me = e.name;
    conn.attempt = 0;
    conn.authenticated = !!e.authenticated;
    conn.limits = e.limits;
    $("attach-row").hidden = !e.limits.max_attachment_bytes; // this server takes no files
    setStatus("online", `Connected as ${e.name}${e.authenticated ? " · signed in" : ""}`);
    refreshDirectory();
    clearInterval(directoryTimer);
    directoryTimer = setInterval(refreshDirectory, DIRECTORY_EVERY_MS);
    $("reconnect").hidden = true;
    showFieldError("name-error", "");
    $("login").hidden = true;
    $("chat").hidden = false;
    if (rooms.size) for (const room of rooms.values()) joinRoom(room.name, room);
    if (!useInvite() && !rooms.size) $("room-input").focus();
  },

  joined(e) {
    let room = rooms.get(e.room);
    const fresh = !room;
    if (!room) room = addRoom(e.room);
    const resumed = !fresh && e.recovered && e.epoch === room.epoch;
    if (!fresh && !resumed) {
      // Keep what was shown; a new epoch is a new room whose seq counts from 1 again.
      if (e.epoch !== room.epoch) room.lastSeq = 0;
      addSystemLine(room, e.epoch !== room.epoch
        ? "The room was recreated while you were away."
        : "Some messages were missed while you were away.");
    }
    room.epoch = e.epoch;
    room.retries = 0;
    room.owner = e.owner;
    const wasPrivate = !fresh && room.private;
    room.private = !!e.private;
    const wanted = asked.get(e.room);
    asked.delete(e.room);
    // A re-join after the private room emptied may land in a public room someone else made.
    if (((wanted && wanted.private) || wasPrivate) && !room.private) {
      room.toolError = "";
      addSystemLine(room, `#${e.room} already existed as a public room, so it stays public.`);
    }
    if (fresh && wanted) /** @type {HTMLInputElement} */ ($("room-private")).checked = false;
    if (wanted && wanted.invite) room.inviteToken = wanted.invite;
    // A private room hands its members a personal rejoin pass (docs/protocol.md, "Rejoin
    // passes"): it, not the spent invite, is what gets this page back in after a reconnect.
    if (e.rejoin) room.inviteToken = e.rejoin;
    room.members = new Map();
    for (const r of e.recent || []) room.members.set(r.name, { owner: false, status: "offline" });
    for (const m of e.members) room.members.set(m.name, { owner: m.owner, status: "online" });
    for (const m of e.history) addMessage(room, m);
    if (fresh || !room.oldest) room.oldest = e.history.length ? e.history[0].seq : e.seq + 1;
    room.hasOlder = room.oldest > 1;
    if (!fresh) addSystemLine(room, resumed ? "Reconnected." : "Rejoined.");
    if (fresh || !active) selectRoom(e.room);
    if (fresh) showFieldError("room-error", "");
    renderTabs();
    renderMembers();
    renderOlder();
    refreshDirectory();
  },

  left(e) {
    const room = rooms.get(e.room);
    if (!room) return;
    clearTyping(room);
    // A shutdown is not our choice: keep the room, and re-join it after the reconnect.
    if (e.reason === "shutdown") return addSystemLine(room, "The server is restarting…");
    room.log.remove();
    rooms.delete(e.room);
    if (active === e.room) selectRoom(rooms.keys().next().value || "");
    renderTabs();
    refreshDirectory();
  },

  message(e) {
    const room = rooms.get(e.room);
    if (!room) return;
    addMessage(room, e);
    const timer = room.typing.get(e.author);
    if (timer) { clearTimeout(timer); room.typing.delete(e.author); renderTyping(); }
    if (e.room !== active) { room.unread += 1; renderTabs(); }
  },

  system(e) {
    if (e.event === "server_shutdown") shutdownDelay = e.data?.reconnect_after_ms || 0;
    const targets = e.room ? [rooms.get(e.room)] : [...rooms.values()];
    for (const room of targets) {
      if (!room) continue;
      if (e.event === "owner_changed" && e.data?.owner) {
        room.owner = e.data.owner;
        for (const [name, m] of room.members) m.owner = name === room.owner;
        if (room.name === active) renderMembers();
      }
      if (typeof e.data?.private === "boolean" && (e.event === "private" || e.data.event === "private")) {
        room.private = e.data.private;
        room.invite = null; // a link shown before may no longer be what the room needs
        renderTabs();
        if (room.name === active) renderMembers();
      }
      addSystemLine(room, e.text.replace(/^\[system\] /, ""), e.ts);
    }
  },

  presence(e) {
    const room = rooms.get(e.room);
    if (!room) return;
    const member = room.members.get(e.name) || { owner: false, status: "online" };
    member.status = e.status;
    room.members.set(e.name, member);
    if (e.room === active) renderMembers();
  },

  typing(e) {
    const room = rooms.get(e.room);
    if (!room || e.name === conn.me) return;
    clearTimeout(room.typing.get(e.name));
    room.typing.set(e.name, setTimeout(() => { room.typing.delete(e.name); renderTyping(); }, e.ttl_ms));
    renderTyping();
  },

  history(e) {
    // A page of older messages (newest last): they go above what is shown, and the view
    // stays where it was.
    const room = rooms.get(e.room);
    if (!room) return;
    room.loadingOlder = false;
    const older = e.messages.filter((m) => m.seq < room.oldest);
    const log = room.log;
    const height = log.scrollHeight;
    const first = log.firstChild;
    for (const m of older) log.insertBefore(messageItem(m), first);
    if (older.length) room.oldest = older[0].seq;
    room.hasOlder = e.has_more && older.length > 0 && room.oldest > 1;
    log.scrollTop += log.scrollHeight - height;
    renderOlder();
  },

  upload_url(e) {
    const pending = uploads.get(e.ref);
    if (!pending) return;
    uploads.delete(e.ref);
    setAttachStatus(`Uploading ${e.name}…`);
    const progress = /** @type {HTMLProgressElement} */ ($("attach-progress"));
    progress.value = 0;
    progress.hidden = false;
    putFile(e.url, pending.file, e.content_type, (fraction) => { progress.value = Math.round(fraction * 100); })
      .then(() => {
        composer.attachment = { id: e.id, room: e.room, name: e.name };
        $("attach-name").textContent = e.name;
        $("attach-chip").hidden = false;
        setAttachStatus(`${e.name} is ready: send it with a message, or alone.`);
      })
      .catch((error) => setAttachStatus(`Could not upload ${e.name}: ${error.message}`, true))
      .finally(() => { progress.hidden = true; composer.busy = false; });
  },

  invite(e) {
    // The reply to our `invite`: show the link (the clipboard may be denied), then copy it.
    const room = rooms.get(e.room);
    if (!room) return;
    const url = `${location.origin}${e.url_path}`;
    const about = describeInvite(e);
    room.invite = { url, note: `Copying… ${about}` };
    room.toolError = "";
    if (room.name === active) renderMembers();
    copyText(url).then((copied) => {
      if (room.invite?.url !== url) return;
      room.invite.note = copied
        ? `Copied to the clipboard. ${about}`
        : `The browser did not allow copying: copy the link from the field. ${about}`;
      if (room.name !== active) return;
      renderMembers();
      if (!copied) /** @type {HTMLInputElement} */ ($("invite-link")).select();
    });
  },

  kicked(e) {
    const why = e.reason ? `: ${e.reason}` : "";
    showBanner(`You were kicked from ${e.room} by ${e.by}${why}.`);
  },

  banned(e) {
    const why = e.reason ? `: ${e.reason}` : "";
    showBanner(`You were banned from ${e.room} by ${e.by}${why}.`);
  },

  error(e) {
    const kind = e.ref ? conn.refs.get(e.ref) : undefined;
    let text = e.reason;
    if (e.code === "rate_limited" && e.retry_after_ms) {
      text = `${e.reason} (retry in ${(e.retry_after_ms / 1000).toFixed(1)} s)`;
    }
    if (kind === "attach" || (kind === "send" && e.code.startsWith("attachment"))) {
      composer.busy = false;
      setAttachStatus(text, true);
    } else if (kind === "hello" && !conn.welcomed) {
      conn.helloError = text;
      showFieldError("name-error", text);
      if (!rooms.size) { conn.name = ""; conn.ws?.close(1000); }
    } else if (kind === "join") {
      if (e.room) asked.delete(e.room);
      showFieldError("room-error", inviteErrorText(e.code) || text);
    } else if ((kind === "invite" || kind === "set_private") && e.room && rooms.has(e.room)) {
      const room = rooms.get(e.room);
      room.toolError = e.code === "not_owner" ? "Only the room's owner can do that." : text;
      if (room.name === active) renderMembers();
    } else if (kind === "rejoin" && e.room && rooms.has(e.room)) {
      const room = rooms.get(e.room);
      // Our previous connection may still hold the name for a moment: try again shortly.
      if (["name_taken", "rate_limited"].includes(e.code) && (room.retries = (room.retries || 0) + 1) <= 3) {
        setTimeout(() => joinRoom(room.name, room), e.retry_after_ms || 3000);
      } else {
        handlers.left({ room: e.room });
        showBanner(`Could not rejoin ${e.room}: ${inviteErrorText(e.code) || text}`);
      }
    } else {
      showBanner(e.room ? `${e.room}: ${text}` : text);
    }
  },

  pong() {},
};

// ---------------------------------------------------------------------------- rooms and rendering

function addRoom(name) {
  const log = document.createElement("ol");
  log.className = "log";
  log.id = `log-${name}`;
  log.setAttribute("role", "tabpanel");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", `Messages in ${name}`);
  log.tabIndex = 0;
  log.hidden = true;
  $("logs").append(log);
  const room = {
    name, log, epoch: "", lastSeq: 0, owner: "", members: new Map(), typing: new Map(), unread: 0,
    private: false, invite: null, inviteToken: "", toolError: "",
  };
  rooms.set(name, room);
  return room;
}

function selectRoom(name) {
  if (composer.attachment && composer.attachment.room !== name) clearAttachment();
  active = name;
  for (const room of rooms.values()) room.log.hidden = room.name !== name;
  const room = rooms.get(name);
  $("no-room").hidden = !!room;
  $("send-form").hidden = !room;
  if (room) {
    room.unread = 0;
    room.log.scrollTop = room.log.scrollHeight;
  }
  renderTabs();
  renderMembers();
  renderTyping();
  renderOlder();
}

function renderOlder() {
  const room = rooms.get(active);
  $("load-older").hidden = !room || !room.hasOlder;
}

async function refreshDirectory() {
  if (!conn.welcomed) return;
  try {
    const listed = await fetchRooms();
    renderDirectory($("directory"), listed, new Set(rooms.keys()), (name) => {
      if (rooms.has(name)) selectRoom(name);
      else joinRoom(name, null);
    });
    $("directory-empty").hidden = listed.length > 0;
  } catch {
    // The list is a convenience; the next refresh tries again.
  }
}

function setAttachStatus(text, isError = false) {
  const status = $("attach-status");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

function clearAttachment() {
  composer.attachment = null;
  $("attach-chip").hidden = true;
  $("attach-name").textContent = "";
  setAttachStatus("");
}

/** The display name a token carries, read without verifying it (the server decides). */
function nameFromToken(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload));
    const name = claims.preferred_username || claims.name || claims.sub || "";
    return String(name).slice(0, 24);
  } catch {
    return "";
  }
}

function timeOf(ts) {
  const time = document.createElement("time");
  const date = ts ? new Date(ts) : new Date();
  time.dateTime = date.toISOString();
  time.textContent = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  time.title = date.toLocaleString();
  return time;
}

function append(room, li) {
  const log = room.log;
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(li);
  if (atBottom || room.name !== active) log.scrollTop = log.scrollHeight;
}

/** @param {MessageOut} m */
function addMessage(room, m) {
  if (m.seq <= room.lastSeq) return; // already shown (a resume may overlap)
  room.lastSeq = m.seq;
  append(room, messageItem(m));
}

/** @param {MessageOut} m */
function messageItem(m) {
  const li = document.createElement("li");
  li.className = m.author === conn.me ? "msg own" : "msg";
  li.dataset.seq = String(m.seq);
  const head = document.createElement("div");
  head.className = "meta";
  const author = document.createElement("span");
  author.className = "author";
  author.textContent = m.author === conn.me ? `${m.author} (you)` : m.author;
  head.append(author, " ", timeOf(m.ts));
  const body = document.createElement("div");
  body.className = "body";
  body.innerHTML = m.html; // safe server rendering: only <strong>/<em> and escaped text
  li.append(head, body);
  if (m.attachment) li.append(attachmentElement(m.attachment));
  return li;
}

function addSystemLine(room, text, ts) {
  const li = document.createElement("li");
  li.className = "system";
  const span = document.createElement("span");
  span.textContent = text;
  li.append(timeOf(ts), " ", span);
  append(room, li);
}

function renderTabs() {
  const tabs = $("tabs");
  tabs.replaceChildren();
  for (const room of rooms.values()) {
    const li = document.createElement("li");
    li.setAttribute("role", "presentation");
    const tab = document.createElement("button");
    tab.type = "button";
    tab.className = "tab";
    tab.setAttribute("role", "tab");
    tab.setAttribute("aria-selected", String(room.name === active));
    tab.setAttribute("aria-controls", room.log.id);
    tab.textContent = `#${room.name}`;
    if (room.private) tab.append(" ", lockMark());
    if (room.unread) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = String(room.unread);
      badge.setAttribute("aria-label", `${room.unread} unread`);
      tab.append(" ", badge);
    }
    tab.onclick = () => selectRoom(room.name);
    const leave = document.createElement("button");
    leave.type = "button";
    leave.className = "leave";
    leave.textContent = "Leave";
    leave.setAttribute("aria-label", `Leave ${room.name}`);
    leave.onclick = () => send({ type: "leave", room: room.name }, "leave");
    li.append(tab, leave);
    tabs.append(li);
  }
}

function renderMembers() {
  const list = $("member-list");
  list.replaceChildren();
  const room = rooms.get(active);
  const iOwn = !!room && room.owner === conn.me;
  $("mod-tools").hidden = !iOwn;
  renderRoomBar(room, iOwn);
  if (!room) return;
  const order = { online: 0, away: 1, offline: 2 };
  const members = [...room.members].sort(
    ([a, x], [b, y]) => order[x.status] - order[y.status] || a.localeCompare(b));
  for (const [name, m] of members) {
    const li = document.createElement("li");
    li.className = `member ${m.status}`;
    const dot = document.createElement("span");
    dot.className = "dot";
    dot.setAttribute("aria-hidden", "true");
    const label = document.createElement("span");
    label.className = "name";
    label.textContent = name + (name === conn.me ? " (you)" : "");
    li.append(dot, label);
    if (m.owner) {
      const owner = document.createElement("span");
      owner.className = "owner";
      owner.textContent = "owner";
      li.append(" ", owner);
    }
    const status = document.createElement("span");
    status.className = "presence";
    status.textContent = m.status;
    li.append(" ", status);
    if (iOwn && name !== conn.me && m.status !== "offline") {
      for (const action of ["kick", "ban"]) {
        const btn = document.createElement("button");
        btn.type = "button";
        btn.className = `mod-${action}`;
        btn.textContent = action === "kick" ? "Kick" : "Ban";
        btn.setAttribute("aria-label", `${btn.textContent} ${name}`);
        btn.onclick = () => {
          const reason = /** @type {HTMLInputElement} */ ($("mod-reason")).value.trim();
          const event = { type: action, room: room.name, name };
          if (reason) event.reason = reason;
          send(event, action);
        };
        li.append(btn);
      }
    }
    list.append(li);
  }
}

function clearTyping(room) {
  for (const timer of room.typing.values()) clearTimeout(timer);
  room.typing.clear();
}

function renderTyping() {
  const room = rooms.get(active);
  const names = room ? [...room.typing.keys()] : [];
  let text = "";
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = "Several people are typing…";
  $("typing").textContent = text;
}

function setStatus(state, text) {
  const el = $("status");
  el.dataset.state = state;
  el.textContent = text;
}

function showFieldError(id, text) {
  $(id).textContent = text;
  const input = id === "name-error" ? $("name-input") : $("room-input");
  if (text) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function showBanner(text) {
  $("banner-text").textContent = text;
  $("banner").hidden = false;
}

// ---------------------------------------------------------------------------- user input

function signIn() {
  const token = /** @type {HTMLInputElement} */ ($("token-input")).value.trim();
  let name = /** @type {HTMLInputElement} */ ($("name-input")).value.trim();
  if (!name && token) name = nameFromToken(token) || "Member";
  if (!name) return showFieldError("name-error", "Enter a name.");
  showFieldError("name-error", "");
  conn.name = name;
  conn.token = token;
  conn.attempt = 0;
  if (conn.ws && conn.ws.readyState === WebSocket.OPEN) {
    const hello = { type: "hello", name };
    if (token) hello.token = token;
    send(hello, "hello");
  } else connect();
}

$("name-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  signIn();
});

$("join-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($("room-input"));
  const name = input.value.trim().toLowerCase();
  if (rooms.has(name)) return selectRoom(name);
  showFieldError("room-error", "");
  const wantsPrivate = /** @type {HTMLInputElement} */ ($("room-private")).checked;
  if (pendingInvite && pendingInvite.room === name) useInvite();
  else joinRoom(name, null, { private: wantsPrivate });
});

$("invite-copy").addEventListener("click", () => {
  const room = rooms.get(active);
  if (!room) return;
  room.toolError = "";
  if (!send({ type: "invite", room: room.name }, "invite")) room.toolError = "Not connected: try again once back online.";
  renderMembers();
});

$("private-toggle").addEventListener("click", () => {
  const room = rooms.get(active);
  if (!room) return;
  room.toolError = "";
  const event = { type: "set_private", room: room.name, private: !room.private };
  if (!send(event, "set_private")) room.toolError = "Not connected: try again once back online.";
  renderMembers();
});

const messageInput = /** @type {HTMLTextAreaElement} */ ($("message-input"));
let lastTyping = { room: "", at: 0 };

messageInput.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    /** @type {HTMLFormElement} */ ($("send-form")).requestSubmit();
  }
});

messageInput.addEventListener("input", () => {
  const now = Date.now();
  if (!active || !messageInput.value.trim()) return;
  if (lastTyping.room === active && now - lastTyping.at < TYPING_EVERY_MS) return;
  if (send({ type: "typing", room: active })) lastTyping = { room: active, at: now };
});

$("send-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = messageInput.value.trim();
  const attachment = composer.attachment && composer.attachment.room === active ? composer.attachment : null;
  if ((!text && !attachment) || !active) return;
  const event = { type: "send", room: active, text };
  if (attachment) event.attachment = attachment.id;
  if (send(event, "send")) {
    messageInput.value = "";
    lastTyping = { room: "", at: 0 };
    if (attachment) clearAttachment();
  } else {
    showBanner("Not connected: the message was not sent.");
  }
});

$("file-input").addEventListener("change", (ev) => {
  const input = /** @type {HTMLInputElement} */ (ev.target);
  const file = input.files && input.files[0];
  input.value = ""; // the same file can be picked again
  if (!file || !active) return;
  clearAttachment();
  const problem = precheck(file, conn.limits ? conn.limits.max_attachment_bytes : 0);
  if (problem) return setAttachStatus(problem, true);
  const event = { type: "attach", room: active, name: file.name, size: file.size, content_type: file.type };
  if (!send(event, "attach")) return setAttachStatus("Not connected: nothing was uploaded.", true);
  composer.busy = true;
  uploads.set(event.ref, { file, room: active });
  setAttachStatus(`Preparing ${file.name}…`);
});

$("attach-clear").addEventListener("click", clearAttachment);
$("load-older").addEventListener("click", () => {
  const room = rooms.get(active);
  if (!room || room.loadingOlder || !room.hasOlder) return;
  room.loadingOlder = true;
  send({ type: "history", room: room.name, before: room.oldest, limit: OLDER_PAGE }, "history");
});
$("directory-refresh").addEventListener("click", refreshDirectory);

$("banner-close").addEventListener("click", () => { $("banner").hidden = true; });
$("reconnect").addEventListener("click", () => { conn.attempt = Math.max(conn.attempt, 1); connect(); });
$("tabs").addEventListener("keydown", (ev) => {
  const keys = [...rooms.keys()];
  const step = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[ev.key];
  if (!step || !keys.length || !(ev.target instanceof HTMLElement) || !ev.target.matches(".tab")) return;
  ev.preventDefault();
  selectRoom(keys[(keys.indexOf(active) + step + keys.length) % keys.length]);
  /** @type {HTMLElement | null} */ ($("tabs").querySelector('[aria-selected="true"]'))?.focus();
});

// `?token=…` signs in at once; the token leaves the address bar (and so the history and any
// screenshot) before anything else happens.
const params = new URLSearchParams(location.search);
const urlToken = params.get("token");
if (urlToken) {
  params.delete("token");
  const rest = params.toString();
  history.replaceState(null, "", `${location.pathname}${rest ? `?${rest}` : ""}${location.hash}`);
  /** @type {HTMLInputElement} */ ($("token-input")).value = urlToken;
}
// `?room=R` (with `&invite=T` from an invite link) fills the room in; the invite is used by
// the first join after the connection, and then leaves the address bar too.
const urlRoom = roomFromUrl();
if (urlRoom) /** @type {HTMLInputElement} */ ($("room-input")).value = urlRoom;
if (pendingInvite) {
  $("invite-hint").textContent = `You have an invite to #${pendingInvite.room}: pick a name to join it.`;
  $("invite-hint").hidden = false;
}
if (urlToken) signIn();
else $("name-input").focus();
