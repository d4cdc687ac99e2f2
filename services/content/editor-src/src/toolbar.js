// The toolbar (a WAI-ARIA toolbar: one Tab stop, arrow keys between buttons) and the link box.
import { normaliseLink } from "./urls.js";

const GROUPS = [
  {
    label: "Kiểu chữ",
    buttons: [
      { id: "bold", label: "Đậm", keys: "Control+B", mark: "bold", run: (c) => c.toggleBold() },
      { id: "italic", label: "Nghiêng", keys: "Control+I", mark: "italic", run: (c) => c.toggleItalic() },
      {
        id: "underline",
        label: "Gạch chân",
        keys: "Control+U",
        mark: "underline",
        run: (c) => c.toggleUnderline(),
      },
    ],
  },
  {
    label: "Đoạn văn",
    buttons: [
      {
        id: "h2",
        label: "Tiêu đề 2",
        active: (e) => e.isActive("heading", { level: 2 }),
        run: (c) => c.toggleHeading({ level: 2 }),
      },
      {
        id: "h3",
        label: "Tiêu đề 3",
        active: (e) => e.isActive("heading", { level: 3 }),
        run: (c) => c.toggleHeading({ level: 3 }),
      },
      { id: "bullets", label: "Danh sách", node: "bulletList", run: (c) => c.toggleBulletList() },
      { id: "numbers", label: "Danh sách số", node: "orderedList", run: (c) => c.toggleOrderedList() },
      { id: "quote", label: "Trích dẫn", node: "blockquote", run: (c) => c.toggleBlockquote() },
    ],
  },
  {
    label: "Chèn",
    buttons: [
      { id: "link", label: "Liên kết", keys: "Control+K", mark: "link", open: "link" },
      {
        id: "table",
        label: "Bảng",
        run: (c) => c.insertTable({ rows: 3, cols: 3, withHeaderRow: true }),
      },
      { id: "photo", label: "Ảnh", open: "photo" },
      { id: "rule", label: "Đường kẻ", run: (c) => c.setHorizontalRule() },
    ],
  },
  {
    label: "Lịch sử",
    buttons: [
      { id: "undo", label: "Hoàn tác", keys: "Control+Z", run: (c) => c.undo() },
      { id: "redo", label: "Làm lại", keys: "Control+Shift+Z", run: (c) => c.redo() },
    ],
  },
  {
    label: "Bảng",
    table: true,
    buttons: [
      { id: "row", label: "Thêm hàng", run: (c) => c.addRowAfter() },
      { id: "column", label: "Thêm cột", run: (c) => c.addColumnAfter() },
      { id: "row-delete", label: "Xóa hàng", run: (c) => c.deleteRow() },
      { id: "column-delete", label: "Xóa cột", run: (c) => c.deleteColumn() },
      { id: "table-delete", label: "Xóa bảng", run: (c) => c.deleteTable() },
    ],
  },
];

function element(tag, attributes = {}, text = "") {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
  if (text) made.textContent = text;
  return made;
}

/** Builds the toolbar and link box into `root`; returns what mount() needs to wire them. */
export function buildToolbar(root, { uid, contentId, onPhotoRequest }) {
  let editor = null; // set by attach(): the editor is made after its toolbar
  const toolbar = element("div", {
    class: "re-toolbar",
    role: "toolbar",
    "aria-label": "Định dạng nội dung",
    "aria-controls": contentId,
  });
  const buttons = [];
  const tableGroups = [];
  for (const group of GROUPS) {
    const box = element("div", { class: "re-group", role: "group", "aria-label": group.label });
    if (group.table) {
      box.hidden = true;
      tableGroups.push(box);
    }
    for (const spec of group.buttons) {
      const button = element(
        "button",
        { type: "button", class: `re-button re-${spec.id}`, "aria-label": spec.label, tabindex: "-1" },
        spec.label,
      );
      if (spec.keys) button.setAttribute("aria-keyshortcuts", spec.keys);
      if (spec.mark || spec.node || spec.active) button.setAttribute("aria-pressed", "false");
      button.spec = spec;
      box.append(button);
      buttons.push(button);
    }
    toolbar.append(box);
  }
  const photoButton = buttons.find((b) => b.spec.id === "photo");
  if (!onPhotoRequest) photoButton.title = "Trang này chưa có thư viện ảnh";

  // The link box: not a <form>, since the editor usually sits inside the article's form.
  const linkBar = element("div", { class: "re-linkbar", role: "group", "aria-label": "Liên kết" });
  linkBar.hidden = true;
  const inputId = `${uid}-link`;
  const errorId = `${uid}-link-error`;
  const linkLabel = element("label", { for: inputId }, "Địa chỉ liên kết");
  const linkInput = element("input", {
    id: inputId,
    type: "url",
    inputmode: "url",
    autocomplete: "url",
    placeholder: "https://",
    "aria-describedby": errorId,
  });
  const applyLink = element("button", { type: "button", class: "re-apply" }, "Áp dụng");
  const removeLink = element("button", { type: "button", class: "re-unlink" }, "Gỡ liên kết");
  const cancelLink = element("button", { type: "button", class: "re-cancel" }, "Hủy");
  const linkError = element("p", { id: errorId, class: "re-error", "aria-live": "polite" });
  linkBar.append(linkLabel, linkInput, applyLink, removeLink, cancelLink, linkError);
  root.append(toolbar, linkBar);

  const visible = () => buttons.filter((b) => !b.disabled && !b.closest("[hidden]"));
  const tabStop = () => buttons.find((b) => b.tabIndex === 0);
  const makeTabStop = (button) => {
    for (const b of buttons) b.tabIndex = b === button ? 0 : -1;
  };

  function openLinkBar() {
    if (!editor) return false;
    linkBar.hidden = false;
    linkError.textContent = "";
    linkInput.value = editor.getAttributes("link").href || "";
    removeLink.hidden = !editor.isActive("link");
    linkInput.focus();
    linkInput.select();
    return true;
  }
  function closeLinkBar() {
    linkBar.hidden = true;
    editor.commands.focus();
  }
  function apply() {
    const href = normaliseLink(linkInput.value);
    if (!href) {
      linkError.textContent = "Chỉ nhận địa chỉ bắt đầu bằng http://, https:// hoặc mailto:.";
      linkInput.focus();
      return;
    }
    const { empty } = editor.state.selection;
    const chain = editor.chain().focus();
    if (empty && !editor.isActive("link")) {
      const text = linkInput.value.trim();
      chain.insertContent({ type: "text", text, marks: [{ type: "link", attrs: { href } }] }).run();
    } else {
      chain.extendMarkRange("link").setLink({ href }).run();
    }
    linkBar.hidden = true;
  }
  applyLink.addEventListener("click", apply);
  removeLink.addEventListener("click", () => {
    editor.chain().focus().extendMarkRange("link").unsetLink().run();
    linkBar.hidden = true;
  });
  cancelLink.addEventListener("click", closeLinkBar);
  linkBar.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      closeLinkBar();
    } else if (event.key === "Enter" && event.target === linkInput) {
      event.preventDefault(); // never submit the page's form from here
      apply();
    }
  });

  // A mouse press on a button must not take the focus (and the selection) from the text.
  toolbar.addEventListener("mousedown", (event) => {
    if (event.target.closest("button")) event.preventDefault();
  });
  toolbar.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || button.disabled || !editor) return;
    const { spec } = button;
    if (spec.open === "link") openLinkBar();
    else if (spec.open === "photo") onPhotoRequest?.();
    else spec.run(editor.chain().focus()).run();
  });
  toolbar.addEventListener("focusin", (event) => {
    if (event.target.closest("button")) makeTabStop(event.target.closest("button"));
  });
  toolbar.addEventListener("keydown", (event) => {
    const items = visible();
    const at = items.indexOf(document.activeElement);
    const moves = {
      ArrowRight: at + 1,
      ArrowDown: at + 1,
      ArrowLeft: at - 1,
      ArrowUp: at - 1,
      Home: 0,
      End: items.length - 1,
    };
    if (event.key in moves && items.length) {
      event.preventDefault();
      items[(moves[event.key] + items.length) % items.length].focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      editor.commands.focus();
    }
  });

  function refresh() {
    const inTable = editor.isActive("table");
    for (const group of tableGroups) group.hidden = !inTable;
    for (const button of buttons) {
      const { spec } = button;
      if (spec.run) button.disabled = !spec.run(editor.can().chain()).run();
      else if (spec.open === "photo") button.disabled = !onPhotoRequest;
      else if (spec.open === "link") button.disabled = !editor.can().setLink({ href: "https://a.vn" });
      const pressed = spec.active
        ? spec.active(editor)
        : (spec.mark || spec.node) && editor.isActive(spec.mark || spec.node);
      if (button.hasAttribute("aria-pressed")) button.setAttribute("aria-pressed", String(!!pressed));
    }
    const stop = tabStop();
    if (!stop || !visible().includes(stop)) makeTabStop(visible()[0]);
  }

  return {
    toolbar,
    attach(made) {
      editor = made;
      refresh();
    },
    refresh,
    focusToolbar() {
      (tabStop() || visible()[0])?.focus();
      return true;
    },
    openLinkBar,
  };
}
