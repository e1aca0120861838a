// Attachments in the web UI: PUT a file to the signed URL from `upload_url` (with progress),
// and show a message's attachment: images inline, every other file as a download link.
// Protocol: docs/protocol.md, `attach` and `upload_url`.

export const ACCEPTED_TYPES = new Set([
  "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain",
]);
const INLINE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** What the page can tell before asking the server (it checks again). */
export function precheck(file, maxBytes) {
  if (!maxBytes) return "This server takes no attachments.";
  if (!ACCEPTED_TYPES.has(file.type)) {
    return "Only PNG, JPEG, GIF and WebP images, PDF and plain text can be attached.";
  }
  if (file.size > maxBytes) return `The file is ${formatBytes(file.size)}; the limit is ${formatBytes(maxBytes)}.`;
  if (file.size === 0) return "The file is empty.";
  return "";
}

/**
 * PUT `file` to `url`; `onProgress(fraction)` as it goes. Resolves when stored, rejects with
 * an Error whose message is the server's reason.
 */
export function putFile(url, file, contentType, onProgress) {
  return new Promise((resolve, reject) => {
    // XMLHttpRequest, not fetch: only it reports upload progress.
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.setRequestHeader("Content-Type", contentType);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve(undefined);
      let reason = `upload failed (HTTP ${xhr.status})`;
      try { reason = JSON.parse(xhr.responseText).reason || reason; } catch { /* not JSON */ }
      reject(new Error(reason));
    };
    xhr.onerror = () => reject(new Error("the upload did not reach the server"));
    xhr.send(file);
  });
}

/** The element for a message's attachment (text only through textContent and attributes). */
export function attachmentElement(attachment) {
  const box = document.createElement("div");
  box.className = "attachment";
  if (INLINE_TYPES.has(attachment.content_type)) {
    const img = document.createElement("img");
    img.src = attachment.url;
    img.alt = attachment.name;
    img.loading = "lazy";
    img.className = "attachment-image";
    box.append(img);
  }
  const link = document.createElement("a");
  link.href = attachment.url;
  link.download = attachment.name;
  link.rel = "noopener";
  link.className = "attachment-link";
  link.textContent = `${attachment.name} (${formatBytes(attachment.size)})`;
  box.append(link);
  return box;
}
