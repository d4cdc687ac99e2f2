// Pasted HTML (Word, Google Docs, web pages) reduced to structure before ProseMirror reads it:
// headings, paragraphs, lists, links, tables, bold/italic/underline stay; styles, classes,
// fonts, spans, Office namespaces and conditional comments go.
import { isAllowedImage, isAllowedLink } from "./urls.js";

const REMOVE = new Set([
  "script", "style", "meta", "link", "title", "xml", "head", "template", "noscript",
  "iframe", "object", "embed", "svg", "math", "canvas", "video", "audio",
  "form", "input", "button", "select", "textarea", "colgroup", "col",
]);
const KEEP_ATTRIBUTES = {
  a: ["href", "title"],
  img: ["src", "srcset", "sizes", "alt"],
  td: ["colspan", "rowspan"],
  th: ["colspan", "rowspan"],
};
// Office drawing and equation markup has no HTML meaning; its text would be noise.
const DROP_NAMESPACES = new Set(["v", "m", "w"]);
const WORD_LIST = /mso-list:\s*(l\d+)\s+level(\d+)/i;
const ORDERED_MARKER = /^\(?([0-9]{1,3}|[a-z]|[ivxlcdm]{1,6})[.)]$/i;
const BLANK = /^[\s\u00a0\u200b]*$/;
// Chromium checks the page's CSP (style-src 'self') even while it parses HTML into a detached
// document (DOMParser, createHTMLDocument, <template>): every style attribute and <style>
// element there is reported as a violation. So styles are renamed or removed in the string,
// before any parser sees it; the cleaner below still reads them under their new name.
const STYLE = "data-pasted-style";
const STYLE_ELEMENT = /<style\b[\s\S]*?(<\/style\s*>|$)/gi;
const START_TAG = /<[a-z][^\s/>]*(?:\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))*\s*\/?>/gi;
const STYLE_ATTRIBUTE = /("[^"]*"|'[^']*')|(\s)style(?=\s*=)/gi;

/** `html` with no <style> element and every style attribute renamed, for any HTML parser. */
export function withoutStyles(html) {
  return String(html)
    .replace(STYLE_ELEMENT, "")
    .replace(START_TAG, (tag) =>
      tag.replace(STYLE_ATTRIBUTE, (match, quoted, space) => quoted || `${space}${STYLE}`),
    );
}

/** The declarations of a style attribute, by lower-case property name. */
function declarations(element) {
  const found = {};
  for (const part of (element.getAttribute(STYLE) || "").split(";")) {
    const colon = part.indexOf(":");
    if (colon > 0) {
      found[part.slice(0, colon).trim().toLowerCase()] = part.slice(colon + 1).trim().toLowerCase();
    }
  }
  return found;
}

function unwrap(element) {
  element.replaceWith(...element.childNodes);
}

function rename(element, tag) {
  const renamed = element.ownerDocument.createElement(tag);
  for (const attribute of element.attributes) renamed.setAttribute(attribute.name, attribute.value);
  renamed.append(...element.childNodes);
  element.replaceWith(renamed);
  return renamed;
}

function wrapChildren(element, tag) {
  const wrapper = element.ownerDocument.createElement(tag);
  wrapper.append(...element.childNodes);
  element.append(wrapper);
}

function removeComments(doc) {
  const walker = doc.createTreeWalker(doc, NodeFilter.SHOW_COMMENT);
  const comments = [];
  while (walker.nextNode()) comments.push(walker.currentNode);
  for (const comment of comments) comment.remove();
}

/** Word writes a list as paragraphs styled `mso-list:l0 level1 lfo1`, each starting with its
 * bullet or number in a `mso-list:Ignore` span; this makes them real, nested <ul>/<ol>. */
function convertWordLists(root) {
  const doc = root.ownerDocument;
  const items = [];
  for (const paragraph of root.querySelectorAll("p")) {
    const match = WORD_LIST.exec(paragraph.getAttribute(STYLE) || "");
    if (!match) continue;
    let marker = "";
    for (const span of paragraph.querySelectorAll("span")) {
      if (/mso-list:\s*ignore/i.test(span.getAttribute(STYLE) || "")) {
        marker += span.textContent;
        span.remove();
      }
    }
    marker = marker.replace(/[\s\u00a0]+/g, "");
    items.push({ paragraph, list: match[1], level: Number(match[2]), ordered: ORDERED_MARKER.test(marker) });
  }
  let run = [];
  const flush = () => {
    if (run.length) buildList(doc, run);
    run = [];
  };
  for (const item of items) {
    const previous = run[run.length - 1];
    if (previous && !(adjacent(previous.paragraph, item.paragraph) && previous.list === item.list)) flush();
    run.push(item);
  }
  flush();
}

function adjacent(first, second) {
  let node = first.nextSibling;
  while (node && node.nodeType === Node.TEXT_NODE && BLANK.test(node.textContent)) node = node.nextSibling;
  return node === second;
}

function buildList(doc, run) {
  const root = doc.createElement(run[0].ordered ? "ol" : "ul");
  run[0].paragraph.before(root);
  const stack = [{ level: run[0].level, list: root }];
  for (const item of run) {
    while (stack.length > 1 && item.level < stack[stack.length - 1].level) stack.pop();
    let top = stack[stack.length - 1];
    if (item.level > top.level) {
      let parent = top.list.lastElementChild;
      if (!parent) {
        parent = doc.createElement("li");
        top.list.append(parent);
      }
      const nested = doc.createElement(item.ordered ? "ol" : "ul");
      parent.append(nested);
      top = { level: item.level, list: nested };
      stack.push(top);
    }
    const entry = doc.createElement("li");
    const paragraph = doc.createElement("p");
    paragraph.append(...item.paragraph.childNodes);
    entry.append(paragraph);
    top.list.append(entry);
    item.paragraph.remove();
  }
}

/** A pasted picture is kept only if it is one of the portal's own photos: one from another
 * site would be hot-linked (and Word's are files on the author's disk). Others go through the
 * photo library. */
function isOwnImage(src) {
  if (!isAllowedImage(src)) return false;
  try {
    return new URL(src, window.location.href).origin === window.location.origin;
  } catch {
    return false;
  }
}

/** Inline formatting that a page (Google Docs, a CMS) wrote as style, kept as tags. */
function keepStyledFormatting(element) {
  const style = declarations(element);
  const tag = element.localName;
  if ((tag === "b" || tag === "strong") && /^(normal|[1-4]00)$/.test(style["font-weight"] || "")) {
    unwrap(element); // Google Docs wraps a whole paste in <b style="font-weight:normal">
    return;
  }
  if (/^(bold|bolder|[6-9]00)$/.test(style["font-weight"] || "") && tag !== "b" && tag !== "strong") {
    wrapChildren(element, "strong");
  }
  if (style["font-style"] === "italic" && tag !== "i" && tag !== "em") wrapChildren(element, "em");
  const decoration = style["text-decoration"] || style["text-decoration-line"] || "";
  // A link is underlined by the page already; Google Docs writes that as a style too.
  if (decoration.includes("underline") && tag !== "u" && !element.closest("a")) {
    wrapChildren(element, "u");
  }
}

function cleanElement(element) {
  const name = element.localName;
  const colon = name.indexOf(":");
  if (colon >= 0) {
    // <o:p>, <st1:place> and the like hold text; drawings and equations do not.
    if (DROP_NAMESPACES.has(name.slice(0, colon))) element.remove();
    else unwrap(element);
    return;
  }
  if (REMOVE.has(name)) {
    element.remove();
    return;
  }
  keepStyledFormatting(element);
  if (!element.isConnected) return;
  let current = element;
  const className = element.getAttribute("class") || "";
  if (name === "h1" || (name === "p" && /\bMsoTitle\b/.test(className))) current = rename(element, "h2");
  else if (/^h[4-6]$/.test(name) || (name === "p" && /\bMsoSubtitle\b/.test(className))) {
    current = rename(element, "h3");
  }
  const keep = KEEP_ATTRIBUTES[current.localName] || [];
  for (const attribute of [...current.attributes]) {
    if (!keep.includes(attribute.name) && attribute.name !== "data-pm-slice") {
      current.removeAttribute(attribute.name);
    }
  }
  if (current.localName === "a" && !isAllowedLink(current.getAttribute("href"))) unwrap(current);
  else if (current.localName === "img" && !isOwnImage(current.getAttribute("src"))) current.remove();
  else if (current.localName === "span" || current.localName === "font") unwrap(current);
}

/** Word's empty paragraphs go; a paragraph holding only pictures becomes the pictures, so
 * they turn into figures without an empty paragraph left above them. */
function dropBlankParagraphs(root) {
  for (const paragraph of root.querySelectorAll("p")) {
    if (!BLANK.test(paragraph.textContent)) continue;
    if (paragraph.querySelector("img")) unwrap(paragraph);
    else paragraph.remove();
  }
}

/** The cleaned HTML of a paste, for ProseMirror's own parser to read with the editor's schema. */
export function cleanPastedHTML(html) {
  const doc = new DOMParser().parseFromString(withoutStyles(html), "text/html");
  const root = doc.body;
  removeComments(doc);
  for (const element of [...doc.head.children]) element.remove();
  convertWordLists(root);
  // Deepest first, so unwrapping or renaming an element never skips one of its children.
  const elements = [...root.querySelectorAll("*")].reverse();
  for (const element of elements) cleanElement(element);
  dropBlankParagraphs(root);
  return root.innerHTML;
}
