// window.RichEditor: the editor page's rich-text editor, for classic (non-module) scripts.
//   const body = RichEditor.mount(element, { html, onChange, onPhotoRequest, label });
//   body.getHTML(); body.setHTML(html); body.insertPhoto({ src, srcset, sizes, alt, caption });
//   body.focus(); body.destroy();
import { Editor } from "@tiptap/core";
import { EditorState } from "@tiptap/pm/state";
import { extensions } from "./extensions.js";
import { cleanPastedHTML, withoutStyles } from "./paste.js";
import { buildToolbar } from "./toolbar.js";
import { isAllowedImage } from "./urls.js";

let mounted = 0;

/** The editor's HTML as the server stores it: nothing for an empty body, no empty caption
 * and no trailing empty paragraph (the one the editor keeps so the cursor can go below a
 * photo or table). */
function tidy(editor) {
  if (editor.isEmpty) return "";
  return editor
    .getHTML()
    .replace(/<figcaption><\/figcaption>/g, "")
    .replace(/(<p><\/p>)+$/, "");
}

/**
 * Mounts an editor in `element` (a container, or a <textarea> that it replaces and keeps in
 * step, so a form that reads the textarea goes on working).
 * options.html: the starting HTML (a textarea's own value otherwise);
 * options.onChange(html): after each change made by the person (not after setHTML);
 * options.onPhotoRequest(): the "Ảnh" button was pressed: open the photo library, then call
 *   insertPhoto() (without it the button is disabled);
 * options.label: the editing area's accessible name when no <label> names the textarea.
 */
function mount(element, options = {}) {
  if (!(element instanceof HTMLElement)) throw new TypeError("RichEditor.mount: cần một phần tử HTML");
  mounted += 1;
  const uid = `rich-editor-${mounted}`;
  const textarea = element.localName === "textarea" ? element : null;
  const root = document.createElement("div");
  root.className = "rich-editor";
  if (textarea) {
    textarea.after(root);
    textarea.hidden = true;
  } else {
    element.append(root);
  }
  const content = document.createElement("div");
  content.className = "re-content";
  const contentId = `${uid}-content`;
  const ui = buildToolbar(root, { uid, contentId, onPhotoRequest: options.onPhotoRequest });
  root.append(content);

  const label = textarea?.labels?.[0];
  if (label && !label.id) label.id = `${uid}-label`;
  const naming = label
    ? { "aria-labelledby": label.id }
    : { "aria-label": options.label || "Nội dung bài viết" };

  const editor = new Editor({
    element: content,
    // Tiptap would add a <style> element, which the page's CSP (style-src 'self') refuses:
    // the same rules ship in rich-editor.css.
    injectCSS: false,
    extensions: extensions({ toolbar: () => ui.focusToolbar(), link: () => ui.openLinkBar() }),
    // Stored bodies have no style (the server drops it), but an HTML parser would report
    // one to the CSP even though the schema ignores it.
    content: withoutStyles(options.html ?? textarea?.value ?? ""),
    editorProps: {
      attributes: {
        id: contentId,
        class: "re-prose",
        role: "textbox",
        "aria-multiline": "true",
        "aria-keyshortcuts": "Alt+F10",
        ...naming,
      },
      transformPastedHTML: cleanPastedHTML,
    },
  });
  ui.attach(editor);
  const sync = () => {
    if (textarea) textarea.value = tidy(editor);
  };
  sync();
  editor.on("transaction", () => ui.refresh());
  editor.on("update", () => {
    sync();
    options.onChange?.(tidy(editor));
  });

  return {
    getHTML: () => tidy(editor),
    setHTML(html) {
      editor.commands.setContent(withoutStyles(html || ""), { emitUpdate: false });
      // A fresh undo history: "Hoàn tác" must not go back into what was there before.
      const { doc, plugins } = editor.state;
      editor.view.updateState(EditorState.create({ doc, plugins }));
      ui.refresh();
      sync();
    },
    /** Inserts <figure><img …><figcaption>caption</figcaption></figure> at the cursor. */
    insertPhoto(photo) {
      if (!photo || !isAllowedImage(photo.src)) {
        throw new TypeError("RichEditor.insertPhoto: src phải là đường dẫn /… hoặc http(s)://…");
      }
      return editor.chain().focus().insertPhoto(photo).run();
    },
    focus() {
      editor.commands.focus();
    },
    destroy() {
      editor.destroy();
      root.remove();
      if (textarea) textarea.hidden = false;
    },
  };
}

window.RichEditor = Object.freeze({ mount, version: __TIPTAP_VERSION__ });
