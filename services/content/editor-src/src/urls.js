// Which addresses the editor keeps: the same schemes the server's sanitiser allows.

const LINK = /^(https?:\/\/[^\s]+|mailto:[^\s]+)$/i;
// A photo is the portal's own (a path) or a web address; never file:, data:, blob: or cid:,
// which is what Word and mail clients put in pasted HTML and which no reader could load.
const IMAGE = /^(https?:\/\/[^\s]+|\/(?!\/)[^\s]*)$/i;

export function isAllowedLink(href) {
  return typeof href === "string" && LINK.test(href.trim());
}

export function isAllowedImage(src) {
  return typeof src === "string" && IMAGE.test(src.trim());
}

/** What a person typed into the link box, as an address the editor keeps, or null. */
export function normaliseLink(typed) {
  const text = (typed || "").trim();
  if (!text) return null;
  if (/^[^\s@/:]+@[^\s@/]+\.[^\s@/]+$/.test(text)) return `mailto:${text}`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) return isAllowedLink(text) ? text : null;
  if (/^(www\.)?[^\s/.]+\.[^\s]+$/i.test(text)) return `https://${text}`;
  return null;
}
