// The editor's schema: Tiptap's starter kit cut to the server's allow-list
// (services/content/domain/sanitize.py), plus tables and a photo-with-caption node.
import { Extension, Node, mergeAttributes } from "@tiptap/core";
import StarterKit from "@tiptap/starter-kit";
import Link from "@tiptap/extension-link";
import { Table, TableCell, TableHeader, TableRow } from "@tiptap/extension-table";
import { isAllowedImage, isAllowedLink } from "./urls.js";

// Only href and title: Tiptap's target, rel and class would be stripped by the server anyway
// (it sets rel itself), and a pasted link's class must not survive.
const PlainLink = Link.extend({
  addAttributes() {
    return {
      href: { default: null, parseHTML: (element) => element.getAttribute("href") },
      title: { default: null },
    };
  },
}).configure({
  openOnClick: false,
  autolink: true,
  linkOnPaste: true,
  defaultProtocol: "https",
  HTMLAttributes: { target: null, rel: null, class: null },
  isAllowedUri: (url) => isAllowedLink(url),
  shouldAutoLink: (url) => isAllowedLink(url) || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(url),
});

// Tiptap writes column widths as style on <table> and <col>; a style attribute breaks the
// page's CSP (style-src 'self') and the server drops it. The editing view (TableView) sets
// widths through the CSSOM, which CSP allows, so only the HTML output changes.
const PlainTable = Table.extend({
  renderHTML({ HTMLAttributes }) {
    return ["table", mergeAttributes(this.options.HTMLAttributes, HTMLAttributes), ["tbody", 0]];
  },
  // A column is at least 6rem wide: on a phone a wide table scrolls inside its wrapper
  // instead of squeezing its words to a letter a line.
}).configure({ resizable: false, cellMinWidth: 96 });

function spanOnly(attributes) {
  return { colspan: attributes.colspan, rowspan: attributes.rowspan };
}
// No column widths (data-colwidth) or alignment (a style attribute) in the output.
const PlainCell = TableCell.extend({
  addAttributes() {
    return spanOnly(this.parent?.() ?? {});
  },
});
const PlainHeader = TableHeader.extend({
  addAttributes() {
    return spanOnly(this.parent?.() ?? {});
  },
});

function imageAttributes(img) {
  const src = img?.getAttribute("src");
  if (!isAllowedImage(src)) return false;
  return {
    src,
    srcset: img.getAttribute("srcset"),
    sizes: img.getAttribute("sizes"),
    alt: img.getAttribute("alt") || "",
  };
}

/** <figure><img src srcset sizes alt><figcaption>…</figcaption></figure>: a photo from the
 * library, its caption editable in place. A bare <img> (an older article's) becomes one too. */
export const Figure = Node.create({
  name: "figure",
  group: "block",
  content: "inline*",
  marks: "bold italic underline link",
  defining: true,
  isolating: true,
  draggable: true,

  addAttributes() {
    return {
      src: { default: null },
      srcset: { default: null },
      sizes: { default: null },
      alt: { default: "" },
    };
  },

  parseHTML() {
    return [
      {
        tag: "figure",
        getAttrs: (figure) => imageAttributes(figure.querySelector("img")),
        contentElement: (figure) =>
          figure.querySelector("figcaption") || figure.ownerDocument.createElement("figcaption"),
      },
      { tag: "img[src]", getAttrs: (img) => imageAttributes(img) },
    ];
  },

  renderHTML({ node }) {
    const { src, srcset, sizes, alt } = node.attrs;
    const img = { src, alt: alt || "" };
    if (srcset) img.srcset = srcset;
    if (sizes) img.sizes = sizes;
    return ["figure", ["img", img], ["figcaption", 0]];
  },

  addNodeView() {
    return ({ node, editor, getPos }) => {
      const dom = document.createElement("figure");
      dom.className = "re-figure";
      const img = document.createElement("img");
      img.draggable = false;
      const caption = document.createElement("figcaption");
      caption.dataset.placeholder = "Chú thích ảnh";
      dom.append(img, caption);
      // A click on the photo selects the whole figure, so Delete removes it.
      img.addEventListener("mousedown", (event) => {
        event.preventDefault();
        const position = getPos();
        if (typeof position === "number") editor.chain().focus().setNodeSelection(position).run();
      });
      const show = (current) => {
        for (const name of ["src", "srcset", "sizes", "alt"]) {
          const value = current.attrs[name];
          if (value) img.setAttribute(name, value);
          else img.removeAttribute(name);
        }
        caption.classList.toggle("is-empty", current.content.size === 0);
      };
      show(node);
      return {
        dom,
        contentDOM: caption,
        update(updated) {
          if (updated.type.name !== "figure") return false;
          show(updated);
          return true;
        },
      };
    };
  },

  addCommands() {
    return {
      insertPhoto:
        (photo) =>
        ({ commands }) => {
          const caption = (photo.caption || "").trim();
          return commands.insertContent({
            type: this.name,
            attrs: {
              src: photo.src,
              srcset: photo.srcset || null,
              sizes: photo.sizes || null,
              alt: photo.alt || "",
            },
            content: caption ? [{ type: "text", text: caption }] : [],
          });
        },
    };
  },
});

/** Alt+F10 moves to the toolbar (the shortcut TinyMCE and CKEditor use); Mod+K opens the
 * link box. The toolbar registers what each does. */
export function shortcuts(handlers) {
  return Extension.create({
    name: "richEditorShortcuts",
    addKeyboardShortcuts() {
      return {
        "Alt-F10": () => handlers.toolbar(),
        "Mod-k": () => handlers.link(),
      };
    },
  });
}

export function extensions(handlers) {
  return [
    StarterKit.configure({
      heading: { levels: [2, 3] },
      code: false,
      codeBlock: false,
      link: false,
    }),
    PlainLink,
    PlainTable,
    TableRow,
    PlainHeader,
    PlainCell,
    Figure,
    shortcuts(handlers),
  ];
}
