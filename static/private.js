// Private rooms and invite links in the web UI. Protocol: docs/protocol.md, `join{private,
// invite}`, `invite`, `set_private` and the `system` notice about a room's privacy.
// - The room bar above the conversation: the room's name with a lock mark when it is
//   private, and for its owner "Copy invite link" and "Make private/public".
// - An invite link (`/?room=R&invite=T`) read from the address bar, and taken out of it once
//   used, so the token does not stay in the history.
// - The invite errors, in plain words.
// Everything shown goes through textContent (room names, tokens and server reasons included).

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const INVITE_ERRORS = {
  invite_required: "This room is private: you need an invite link from its owner to join it.",
  invite_invalid:
    "This invite link does not work: it is incomplete, for another room, or the room has been closed and opened again since.",
  invite_expired: "This invite link has expired: ask the room's owner for a new one.",
  invite_used: "This invite link has already been used: ask the room's owner for a new one.",
};

/** The plain-words text of an invite error code, or "" for any other code. */
export function inviteErrorText(code) {
  return Object.hasOwn(INVITE_ERRORS, code) ? INVITE_ERRORS[code] : "";
}

/** `{room, token}` from `?room=R&invite=T` in the address bar, or null. */
export function inviteFromUrl() {
  const params = new URLSearchParams(location.search);
  const room = (params.get("room") || "").trim().toLowerCase();
  const token = (params.get("invite") || "").trim();
  return room && token ? { room, token } : null;
}

/** The room named in `?room=R` (pre-filled in the join form), or "". */
export function roomFromUrl() {
  return (new URLSearchParams(location.search).get("room") || "").trim().toLowerCase();
}

/** Take `invite` out of the address bar (replacing the history entry), keeping the rest. */
export function forgetInviteInUrl() {
  const params = new URLSearchParams(location.search);
  if (!params.has("invite")) return;
  params.delete("invite");
  const rest = params.toString();
  history.replaceState(null, "", `${location.pathname}${rest ? `?${rest}` : ""}${location.hash}`);
}

/** The lock mark of a private room (for tabs and the room bar). */
export function lockMark() {
  // An image of our own, not the emoji: not every system has a font that draws it.
  const lock = document.createElement("img");
  lock.className = "lock";
  lock.src = "/lock.svg";
  lock.alt = "private";
  lock.title = "Private room: invite only";
  lock.width = 14;
  lock.height = 14;
  return lock;
}

/** What an `invite` reply allows, for the line under the link. */
export function describeInvite(e) {
  const expires = new Date(e.expires_at);
  const until = Number.isNaN(expires.getTime())
    ? ""
    : ` until ${expires.toLocaleString([], { dateStyle: "short", timeStyle: "short" })}`;
  const uses = e.uses === 1 ? "one person" : `${e.uses} people`;
  return `For ${uses}, valid${until}.`;
}

/** Put `text` on the clipboard; false when the browser does not allow it. */
export async function copyText(text) {
  try {
    if (!navigator.clipboard) return false;
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false; // denied (permissions, no focus): the link stays in its field
  }
}

/**
 * The bar above the conversation for `room` (hidden without one). `room.private`,
 * `room.invite` ({url, note} of the last invite asked) and `room.toolError` are its state.
 */
export function renderRoomBar(room, isOwner) {
  $("room-bar").hidden = !room;
  if (!room) return;
  const title = $("room-title");
  title.replaceChildren(`#${room.name}`);
  if (room.private) title.append(" ", lockMark());
  $("room-privacy").textContent = room.private
    ? "Private: only people with an invite link can join, and it is not listed."
    : "Public: anyone can join, and it is listed in Active rooms.";
  $("owner-tools").hidden = !isOwner;
  const toggle = $("private-toggle");
  toggle.textContent = room.private ? "Make public" : "Make private";
  toggle.setAttribute("aria-describedby", "room-privacy");
  const invite = isOwner ? room.invite : null;
  $("invite-box").hidden = !invite;
  /** @type {HTMLInputElement} */ ($("invite-link")).value = invite ? invite.url : "";
  $("invite-status").textContent = invite ? invite.note : "";
  $("room-tools-error").textContent = room.toolError || "";
}
