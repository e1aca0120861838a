// A tiny, type-checked use of the generated types (tests compile it with `tsc --strict`).
import type { ClientEvent, ServerEvent } from "./parrotchat";

export function hello(name: string): ClientEvent {
  return { type: "hello", name, ref: "r1" };
}

export function send(room: string, text: string): ClientEvent {
  return { type: "send", room, text };
}

/** One line for a chat log; `switch` on `type` narrows to each event's fields. */
export function describe(event: ServerEvent): string {
  switch (event.type) {
    case "welcome":
      return `welcome ${event.name} (max ${event.limits.max_message_chars} chars)`;
    case "joined":
      return `joined ${event.room} at seq ${event.seq}, ${event.members.length} members`;
    case "left":
      return `left ${event.room}: ${event.reason}`;
    case "message":
      return `#${event.room} ${event.seq} <${event.author}> ${event.text}${event.attachment ? ` [${event.attachment.name}]` : ""}`;
    case "system":
      return event.text;
    case "presence":
      return `${event.name} is ${event.status}`;
    case "typing":
      return `${event.name} is typing`;
    case "history":
      return `${event.messages.length} older messages${event.has_more ? ", more" : ""}`;
    case "kicked":
    case "banned":
      return `${event.type} from ${event.room} by ${event.by}`;
    case "error":
      return `error ${event.code}: ${event.reason}`;
    case "pong":
      return `pong ${event.server_time}`;
    case "upload_url":
      return `upload ${event.name} (${event.size} bytes) to ${event.url}`;
    case "invite":
      return `invite to ${event.room} (${event.uses} uses) until ${event.expires_at}: ${event.url_path}`;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
