// The document viewer: zoom, page navigation, and the link between fields
// and their boxes. Boxes are placed in percent by the server, so zooming
// only changes each page's --scale and never moves them.
import { bind } from "./keys.js";
import { say } from "./editor.js";

const pagesEl = document.getElementById("pages");
const pageEls = [...document.querySelectorAll(".page")];
let thumbs = new Map();
function findThumbs() {
  thumbs = new Map([...document.querySelectorAll("[data-thumb]")].map((a) => [a.dataset.thumb, a]));
  thumbs.get(current?.dataset.index)?.setAttribute("aria-current", "true");
  thumbsNear.disconnect();
  thumbs.forEach((a) => thumbsNear.observe(a));
}

// --- page images, made as their pages come near the view ---

// A long document's pages come as placeholders of their size: an image is
// asked for only when its page, or its thumbnail, comes within a view of
// being seen (the browser's own lazy loading still makes every element).
const byIndex = new Map(pageEls.map((p) => [p.dataset.index, p]));
const widths = (pagesEl.dataset.widths || "").split(" ").map(Number);

// imageURL is the URL of page p's image w pixels wide, turned as it is.
function imageURL(p, w) {
  const turn = +p.dataset.turn || 0;
  return `${p.dataset.image}?w=${w}${turn ? `&turn=${turn}` : ""}`;
}

function pageImage(p) {
  if (!p.dataset.image || p.querySelector(":scope > img, :scope > .page-missing")) return;
  const img = document.createElement("img");
  img.alt = `Page ${p.dataset.page}`;
  img.decoding = "async";
  img.draggable = false;
  img.sizes = imageSizes;
  img.srcset = widths.map((w) => `${imageURL(p, w)} ${w}w`).join(", ");
  img.src = imageURL(p, widths[0]);
  p.prepend(img);
}

function thumbImage(a) {
  const spot = a.querySelector(":scope > .thumb-page");
  const p = spot && byIndex.get(a.dataset.thumb);
  if (!p) return;
  const img = document.createElement("img");
  img.alt = "";
  img.decoding = "async";
  img.style.cssText = spot.style.cssText;
  img.src = imageURL(p, 240);
  spot.replaceWith(img);
}

// An image is asked for once its page (or thumbnail) has stayed near the
// view for settleFrames frames: a fast scroll through hundreds of pages
// asks for the pages it stops at, not for every page it passed, each of
// which the server drew while the browser waited for a core (587 images
// asked for in a 5-second scroll through 300 pages, half of them answered
// after 6.5 s). Counted in frames, not time: a page flown past is near for
// three or four frames however slow they are. Six frames are 100 ms at 60
// frames a second, well inside the view's height of lead the observers
// give.
const settleFrames = 6;
const settling = new Map(); // page or thumbnail → [frames near so far, its image's maker]
let settleTick = 0;
function settle(el, make) {
  if (!settling.has(el)) settling.set(el, [0, make]);
  if (!settleTick) settleTick = requestAnimationFrame(settleFrame);
}
let settledOn = null; // the current page when the last frame was counted
function settleFrame() {
  settleTick = 0;
  // The rail follows the current page: its thumbnails count from the frame
  // the current page stopped changing, or a fast scroll would draw those it
  // ran past, each near for ten frames of the rail's scrolling.
  const moved = current !== settledOn;
  settledOn = current;
  for (const [el, [n, make]] of settling) {
    const k = moved && make === thumbImage ? 0 : n + 1;
    if (k < settleFrames) settling.set(el, [k, make]);
    else if (settling.delete(el) && el.isConnected) make(el); // a thumbnail swapped out since is not
  }
  if (settling.size) settleTick = requestAnimationFrame(settleFrame);
}

const thumbsNear = new IntersectionObserver((entries) => {
  for (const e of entries) {
    if (!e.isIntersecting) settling.delete(e.target);
    else if (e.target.querySelector(":scope > .thumb-page")) settle(e.target, thumbImage);
  }
}, { root: document.getElementById("thumbs"), rootMargin: "100% 0px" });
const zoomLabel = document.getElementById("zoom-level");
const pageNow = document.getElementById("page-now");
const PX_PER_PT = 96 / 72;
let scale = 1.2; // --scale's initial value (app.css): the pages as first laid out
let fit = "width"; // "width", "page" or "" (manual zoom)

function widest() {
  return Math.max(...pageEls.map((p) => +p.style.getPropertyValue("--w") || 612));
}

// The width the page images were last told to be; sizes (and with it the
// image the browser picks) changes only when a zoom really needs another.
let sizedFor = 0;
// How wide page images are shown (their sizes), for those made from now on.
let imageSizes = pagesEl.dataset.sizes;

function setScale(s, keepCenter = true) {
  s = Math.min(Math.max(s, 0.2), 6);
  zoomLabel.textContent = Math.round((s / PX_PER_PT) * 100) + "%";
  // The same zoom again (a resize that changed no width, the observer's
  // first call) restyles nothing: each call restyles and lays out every page.
  if (Math.abs(s - scale) < 1e-4) return;
  const before = keepCenter && pagesEl.scrollHeight;
  const ratio = before ? (pagesEl.scrollTop + pagesEl.clientHeight / 2) / before : 0;
  scaleBoxes(s);
  scale = s;
  for (const p of pageEls) p.style.setProperty("--scale", s.toFixed(4));
  // Tell the browser how wide page images now are, so it fetches a sharper
  // rendering when zooming in (srcset); the server's first guess (the
  // viewer's width) stands until the zoom moves well away from it.
  const px = Math.round(widest() * s);
  if (!sizedFor) sizedFor = px;
  if (px > sizedFor * 1.25 || px < sizedFor * 0.6) {
    sizedFor = px;
    imageSizes = px + "px";
    for (const img of pagesEl.querySelectorAll(".page > img")) img.sizes = imageSizes;
  }
  if (keepCenter) pagesEl.scrollTop = ratio * pagesEl.scrollHeight - pagesEl.clientHeight / 2;
}

// While a zoom lasts, the layer of boxes of each page near the view keeps
// the size it had when first held and is scaled as one: a transform, so
// no box is laid out or painted again a frame, however many a page holds.
// The zoom settles settleAfter ms after its last step, once a frame has
// been drawn since with no step (a busy machine's frames can come slower
// than that): the boxes are laid out at their new size once, and their
// borders drawn as thin as before.
const settleAfter = 200;
const frozen = new Map(); // the layers held, each with the scale it keeps the size of
let zoomSettles = 0, steps = 0; // the timer of the zoom settling, and steps taken
function scaleBoxes(s) {
  steps++;
  pagesEl.classList.add("zooming");
  // A page that came near the view while the zoom lasts is held from then,
  // at the size its boxes were laid out at: the scale before this step.
  const from = +scale.toFixed(4); // as the pages have it (their --scale)
  for (const p of near) {
    const layer = !p.classList.contains("content-doc") && p.querySelector(":scope > .boxes");
    if (!layer || frozen.has(layer)) continue;
    layer.style.width = `${+p.style.getPropertyValue("--w") * from}px`;
    layer.style.height = `${+p.style.getPropertyValue("--h") * from}px`;
    frozen.set(layer, from);
  }
  for (const [layer, at] of frozen) layer.style.transform = `scale(${s / at})`;
  clearTimeout(zoomSettles);
  zoomSettles = setTimeout(() => {
    const at = steps;
    requestAnimationFrame(() => steps === at && settleZoom());
  }, settleAfter);
}

function settleZoom() {
  clearTimeout(zoomSettles);
  for (const layer of frozen.keys()) layer.style.width = layer.style.height = layer.style.transform = "";
  frozen.clear();
  pagesEl.classList.remove("zooming");
}

function fitWidth() {
  fit = "width";
  setScale((pagesEl.clientWidth - 40) / widest());
}

function fitPage() {
  fit = "page";
  const p = currentPage();
  const w = +p.style.getPropertyValue("--w");
  const [, rw, rh] = p.style.aspectRatio.match(/([\d.]+)\s*\/\s*([\d.]+)/) || [0, w, w * 1.3];
  const h = (w * rh) / rw;
  setScale(Math.min((pagesEl.clientWidth - 40) / w, (pagesEl.clientHeight - 32) / h));
  p.scrollIntoView({ block: "start" });
}

// zoom zooms about the focused field's box, if it has one in view, as a
// reviewer zooms to read that value; about the middle of the view if not.
function zoom(f) {
  fit = "";
  const box = active && [...boxesOf(active)].find((b) => b.offsetParent);
  setScale(scale * f, !box);
  if (box) show(box, "instant");
}

// The current page is the one showing most of itself in the view, found
// among the pages near it (nearView keeps them) once a frame while the view
// scrolls: one observer over every page, not one more for this.
let current = pageEls[0];
function currentPage() {
  return current || pageEls[0];
}
let looking = 0;
function findCurrent() {
  if (!looking) looking = requestAnimationFrame(setCurrent);
}
function setCurrent() {
  looking = 0;
  const v = pagesEl.getBoundingClientRect();
  let best = null, most = 0;
  for (const p of near) {
    const r = p.getBoundingClientRect();
    const shown = (Math.min(r.bottom, v.bottom) - Math.max(r.top, v.top)) / (r.height || 1);
    if (shown > most + 0.001 || (best && shown > most - 0.001 && +p.dataset.index < +best.dataset.index)) [best, most] = [p, Math.max(shown, most)];
  }
  if (best && most > 0 && best !== current) {
    thumbs.get(current?.dataset.index)?.removeAttribute("aria-current");
    current = best;
    pageNow.textContent = best.dataset.index;
    const t = thumbs.get(best.dataset.index);
    t?.setAttribute("aria-current", "true");
    t?.scrollIntoView({ block: "nearest" });
  }
}
pagesEl.addEventListener("scroll", findCurrent, { passive: true });
findThumbs();

function goPage(delta) {
  const i = pageEls.indexOf(currentPage()) + delta;
  pageEls[Math.min(Math.max(i, 0), pageEls.length - 1)]?.scrollIntoView({ block: "start" });
}

// --- fields and boxes ---

let active = null; // the focused field's path
let activeOutput = ""; // and its output
function boxesOf(path) {
  return pagesEl.querySelectorAll(`.box[data-ref-field="${CSS.escape(path)}"]`);
}

// show scrolls the document so that a mark on a page is in the middle of
// the view.
// Measured on screen: a page's offsets are from the body, not the view.
function show(mark, behavior = "smooth") {
  const view = pagesEl.getBoundingClientRect(), r = mark.getBoundingClientRect();
  const top = pagesEl.scrollTop + r.top - view.top + r.height / 2 - pagesEl.clientHeight / 2;
  const left = pagesEl.scrollLeft + r.left - view.left + r.width / 2 - pagesEl.clientWidth / 2;
  pagesEl.scrollTo({ top, left, behavior });
}

// focusField highlights a field and its boxes; with reveal, the first box is
// scrolled to the middle of the view.
export function focusField(path, { reveal = true, fromBox = false, output = "", behavior = "smooth" } = {}) {
  document.querySelectorAll(".box.active, .field.active").forEach((el) => el.classList.remove("active"));
  active = path;
  activeOutput = output;
  const field = document.querySelector(`.field[data-path="${CSS.escape(path)}"]${output ? `[data-output="${CSS.escape(output)}"]` : ""}`);
  field?.classList.add("active");
  if (fromBox) field?.scrollIntoView({ block: "nearest" });
  const boxes = boxesOf(path);
  boxes.forEach((b) => b.classList.add("active"));
  // A cell of a row: the row's boxes light up with it.
  document.querySelectorAll(".box.row-active").forEach((b) => b.classList.remove("row-active"));
  const row = path.match(/^(.*\[\d+\])\./)?.[1];
  if (row) pagesEl.querySelectorAll(`.box[data-ref-field^="${CSS.escape(row)}"]`).forEach((b) => b.classList.add("row-active"));
  if (reveal && boxes.length) show(boxes[0], behavior);
  document.dispatchEvent(new CustomEvent("reviewer:focus", { detail: { path } }));
}

document.addEventListener("focusin", (e) => {
  const f = e.target.closest?.(".field");
  if (f && (f.dataset.path !== active || f.dataset.output !== activeOutput)) focusField(f.dataset.path, { output: f.dataset.output });
});
// The field list and boxes were swapped in after a change: mark the
// focused field's again, where they are.
document.addEventListener("reviewer:swapped", () => {
  findThumbs();
  if (active) focusField(active, { reveal: false, output: activeOutput });
});
document.addEventListener("click", (e) => {
  const f = e.target.closest(".field");
  if (f && !e.target.closest("input, select, textarea, button")) {
    focusField(f.dataset.path, { output: f.dataset.output });
    f.querySelector(".ed")?.focus();
  }
});
pagesEl.addEventListener("mouseover", (e) => {
  const b = e.target.closest(".box");
  if (!b) return;
  document.querySelectorAll(`.field[data-path="${CSS.escape(b.dataset.refField)}"]`).forEach((f) => f.classList.add("hover"));
});
pagesEl.addEventListener("mouseout", (e) => {
  if (e.target.closest(".box")) document.querySelectorAll(".field.hover").forEach((f) => f.classList.remove("hover"));
});
pagesEl.addEventListener("click", (e) => {
  const box = e.target.closest(".box");
  if (box && !drawing && !pagesEl.classList.contains("show-text")) {
    focusField(box.dataset.refField, { reveal: false, fromBox: true });
    document.querySelector(`.field[data-path="${CSS.escape(box.dataset.refField)}"] .ed`)?.focus({ preventScroll: true });
    return;
  }
  // A cell of a sheet, a line of a text: its text, and the reference says
  // where by that text.
  const cell = e.target.closest(".cell");
  if (cell && active) {
    const page = cell.closest(".page");
    document.dispatchEvent(new CustomEvent("reviewer:pick", {
      detail: { output: activeOutput, path: active, text: pieceText(cell), fileId: page.dataset.fileId, page: +page.dataset.page, how: "clicked cell" },
    }));
    return;
  }
  const block = e.target.closest(".block");
  if (block && active) {
    const page = block.parentElement;
    document.dispatchEvent(new CustomEvent("reviewer:pick", {
      detail: { output: activeOutput, path: active, text: block.dataset.text, fileId: page.dataset.fileId, page: +page.dataset.page, rect: fractions(block, page), how: "clicked text" },
    }));
  }
});

// fractions is where el is on its page, in fractions of the page as the
// document has it: a page turned for viewing is turned back.
function fractions(el, page) {
  const p = page.getBoundingClientRect();
  const r = el.getBoundingClientRect();
  let f = { left: (r.left - p.left) / p.width, top: (r.top - p.top) / p.height, right: (r.right - p.left) / p.width, bottom: (r.bottom - p.top) / p.height };
  for (let turn = +page.dataset.turn || 0; turn > 0 && turn < 360; turn += 90) f = quarter(f); // back to 360
  return f;
}

// quarter turns a rectangle (fractions of its page) a quarter clockwise
// with its page, as review.Rect.Turned(90) does on the server.
function quarter(f) {
  return { left: 1 - f.bottom, top: f.left, right: 1 - f.top, bottom: f.right };
}

// --- the words of a page ---

// A born-digital PDF that came without Extend's parsed text has words of
// its own (read by PDFium on the server): they are fetched per page when
// the text is shown or a box is drawn, and become pieces to click.
const words = new Map(); // page element → the promise of its words
function ensureWords(page) {
  if (!page?.dataset.image || page.querySelector(":scope > .block:not(.word)")) return Promise.resolve();
  if (!words.has(page)) {
    words.set(page, fetch(`${page.dataset.image}/words`, { headers: { Accept: "application/json" } })
      .then((res) => (res.ok ? res.json() : { words: [] }))
      .then(({ words: ws }) => {
        const frag = document.createDocumentFragment();
        for (const w of ws || []) {
          let f = w.rect;
          for (let turn = +page.dataset.turn || 0; turn > 0; turn -= 90) f = quarter(f);
          const el = document.createElement("div");
          el.className = "block word";
          el.dataset.text = w.text;
          Object.assign(el.style, { left: `${f.left * 100}%`, top: `${f.top * 100}%`, width: `${(f.right - f.left) * 100}%`, height: `${(f.bottom - f.top) * 100}%` });
          frag.append(el);
        }
        page.append(frag);
      })
      .catch(() => words.delete(page)));
  }
  return words.get(page);
}
// A page near the view (within a view's height of it) gets its image once
// it stays near (settle; the server sends the first pages' only), and its
// words while the text is shown or a box drawn.
const near = new Set();
const nearView = new IntersectionObserver((entries) => {
  for (const e of entries) {
    if (!e.isIntersecting) {
      near.delete(e.target);
      settling.delete(e.target);
      // A page drawn in the first frame is skipped as any other once far
      // from the view: page one's 500 boxes were walked on every frame of
      // a scroll through the whole document.
      e.target.classList.remove("first");
      continue;
    }
    near.add(e.target);
    settle(e.target, pageImage);
    if (pagesEl.classList.contains("show-text") || drawing) ensureWords(e.target);
  }
  findCurrent();
}, { root: pagesEl, rootMargin: "100% 0px" });
pageEls.forEach((p) => nearView.observe(p));
function wordsInView() {
  near.forEach(ensureWords);
}

// placed is where a box, piece of text or drawn box stands on its page, in
// percent of the page as shown (its style: hidden text has no layout).
function placed(el) {
  const s = el.style;
  const left = parseFloat(s.left), top = parseFloat(s.top);
  return { left, top, right: left + parseFloat(s.width), bottom: top + parseFloat(s.height), height: parseFloat(s.height) };
}

// textIn reads the pieces of text whose middle lies inside the drawn box
// on page, line by line, left to right.
function textIn(page, draft) {
  const d = placed(draft);
  const inside = [...page.querySelectorAll(":scope > .block")].map((b) => ({ b, r: placed(b) }))
    .filter(({ r }) => { const x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2; return x >= d.left && x <= d.right && y >= d.top && y <= d.bottom; });
  inside.sort((a, b) => (Math.abs(a.r.top - b.r.top) < Math.min(a.r.height, b.r.height) / 2 ? a.r.left - b.r.left : a.r.top - b.r.top));
  return inside.map(({ b }) => b.dataset.text).join(" ").trim();
}

// --- text on the pages: find, and citations that came without a box ---

// pieceText is a piece's text: a block over a page image carries it in
// data-text; a cell or a line is its text (written once: a sheet of long
// cells would otherwise be twice its size).
const pieceText = (el) => el.dataset.text ?? el.textContent;

// squash is text as it is compared: lower case and without spaces, so a
// phrase is found across the pieces it was cut into, however they are spaced.
const squash = (s) => (s || "").toLowerCase().replace(/\s+/g, "");

// matchesIn finds q (squashed) among a page's pieces of text: each match is
// the pieces it covers. At most a thousand matches a page.
function matchesIn(page, q) {
  const pieces = [...page.querySelectorAll(":scope > .block, .cell")];
  const ends = [];
  let text = "";
  for (const p of pieces) ends.push((text += squash(pieceText(p))).length);
  const out = [];
  for (let i = text.indexOf(q); i >= 0 && out.length < 1000; i = text.indexOf(q, i + q.length)) {
    const end = i + q.length;
    out.push(pieces.filter((_, k) => ends[k] > i && ends[k] - squash(pieceText(pieces[k])).length < end));
  }
  return out;
}

const findInput = document.getElementById("find-q");
const findCount = document.getElementById("find-count");
let hits = []; // each match's highlights, in the document's order
let hitAt = -1;
let found = null; // the squashed text the hits are of
let finding = 0; // the search under way: a newer one stops it
let findFrom = null; // where the focus was before the find box

// find marks every match of text on every page. The words of pages that
// have none yet are fetched, eight pages at a time. It answers false when a
// newer search (or Esc) took its place before it finished.
async function find(text) {
  const run = ++finding;
  const q = squash(text);
  unmark();
  hitAt = -1;
  found = q;
  if (!q) {
    findCount.textContent = "";
    return true;
  }
  findCount.textContent = "Searching…";
  for (let i = 0; i < pageEls.length; i += 8) {
    await Promise.all(pageEls.slice(i, i + 8).map(ensureWords));
    if (run !== finding) return false;
  }
  for (const page of pageEls) {
    for (const m of matchesIn(page, q)) {
      hits.push(m.map((piece) => {
        if (piece.classList.contains("cell")) return piece.classList.add("found"), piece; // a cell is marked itself
        const el = document.createElement("div");
        el.className = "find-hit";
        el.style.cssText = piece.style.cssText;
        page.append(el);
        return el;
      }));
    }
  }
  findCount.textContent = hits.length ? `${hits.length} found` : "Not found";
  return true;
}

// unmark takes the marks of a search away.
function unmark() {
  pagesEl.querySelectorAll(".find-hit").forEach((e) => e.remove());
  pagesEl.querySelectorAll(".cell.found").forEach((e) => e.classList.remove("found", "current"));
  hits = [];
}

// step moves to the next match (delta 1) or the one before (-1), once the
// search for what the box holds has finished. A step whose search was
// overtaken (typing on while the words were still being fetched) moves
// nothing: only the newest search's steps count, Enter included.
let searching = Promise.resolve(true);
async function step(delta) {
  if (squash(findInput.value) !== found) searching = find(findInput.value);
  if (!(await searching) || !hits.length) return;
  hits[hitAt]?.forEach((e) => e.classList.remove("current"));
  hitAt = hitAt < 0 ? (delta > 0 ? 0 : hits.length - 1) : (hitAt + delta + hits.length) % hits.length;
  hits[hitAt].forEach((e) => e.classList.add("current"));
  const mark = hits[hitAt][0];
  if (mark.classList.contains("cell")) mark.scrollIntoView({ block: "center", inline: "nearest", behavior: "smooth" });
  else show(mark);
  const page = mark.closest(".page");
  findCount.textContent = `${hitAt + 1} of ${hits.length}, page ${page.dataset.index}`;
}

function openFind() {
  if (document.activeElement !== findInput) findFrom = document.activeElement;
  findInput.focus();
  findInput.select();
}

let typing = 0;
findInput?.addEventListener("input", () => {
  // What the box said it found was of the text before: a search of that
  // text still under way stops, and the count waits for this one.
  finding++;
  found = null;
  findCount.textContent = "Searching…";
  clearTimeout(typing);
  typing = setTimeout(() => step(1), 250);
});
findInput?.addEventListener("keydown", (e) => {
  if (e.key === "Enter") {
    e.preventDefault();
    clearTimeout(typing);
    step(e.shiftKey ? -1 : 1);
  } else if (e.key === "Escape") {
    // The marks go; the text stays, for the next time.
    e.preventDefault();
    finding++;
    unmark();
    found = null;
    findCount.textContent = "";
    (findFrom?.isConnected ? findFrom : pagesEl).focus({ preventScroll: true });
  }
});

// A citation may come with its text and no position (Extend does not
// promise one): its box is drawn where the text is on the cited page, and
// says it was found by text. Boxes not found stay undrawn.
const bands = ["high", "mid", "low", "none"];
async function placeByText() {
  // In a sheet or a text the cells found are the boxes: found again after a change.
  for (const c of pagesEl.querySelectorAll(".cell.box")) {
    c.classList.remove("box", "found-by-text", "active", "row-active", ...bands);
    delete c.dataset.refField;
    c.title = c.dataset.ownTitle ?? "";
  }
  for (const box of pagesEl.querySelectorAll(".box[data-find]")) {
    const page = box.closest(".page");
    await ensureWords(page);
    // A cell Extend's parser read is the likelier source of a value.
    const ms = matchesIn(page, squash(box.dataset.find));
    const m = ms.find((m) => m[0].classList.contains("parsed")) ?? ms[0];
    if (!m || !box.isConnected) continue;
    if (m[0].classList.contains("cell")) {
      for (const c of m) {
        c.classList.add("box", "found-by-text", ...bands.filter((b) => box.classList.contains(b)));
        c.dataset.refField = box.dataset.refField;
        c.dataset.ownTitle ??= c.title;
        c.title = c.dataset.ownTitle ? `${box.title}\n${c.dataset.ownTitle}` : box.title;
      }
      box.remove();
      saysFound(m[0].dataset.refField);
      continue;
    }
    const r = m.map(placed).reduce((a, b) => ({ left: Math.min(a.left, b.left), top: Math.min(a.top, b.top), right: Math.max(a.right, b.right), bottom: Math.max(a.bottom, b.bottom) }));
    Object.assign(box.style, { left: `${r.left}%`, top: `${r.top}%`, width: `${r.right - r.left}%`, height: `${r.bottom - r.top}%` });
    delete box.dataset.find;
    box.classList.add("found-by-text");
    saysFound(box.dataset.refField);
  }
}

// saysFound tells, by the field, that its box was found by its text.
function saysFound(path) {
  for (const w of document.querySelectorAll(`.field[data-path="${CSS.escape(path)}"] .where`)) {
    w.textContent = w.textContent.replace("(no box)", "(found by text)");
  }
}
placeByText();
document.addEventListener("reviewer:swapped", placeByText);

// --- turning a page for viewing (everyone's view; the output is not changed) ---

// One turn at a time, each a quarter from where the page is on the server
// (two people turning at once both count).
let turning = Promise.resolve();
function turnPage(by) {
  const p = currentPage();
  turning = turning.then(() => turnOnce(p, by));
}

async function turnOnce(p, by) {
  if (!p?.dataset.image) return;
  const res = await fetch(`${p.dataset.image}/turn`, {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
    body: `run=${encodeURIComponent(document.body.dataset.runId)}&by=${by}`,
  }).catch(() => null);
  if (!res?.ok) {
    const why = res && (await res.json().catch(() => null))?.error?.message;
    if (why) say(why);
    return;
  }
  showTurn(p, (await res.json()).turn);
}

// showTurn shows page p turned turn degrees clockwise: its image, its
// thumbnail and the boxes on it.
function showTurn(p, turn) {
  const quarters = (((turn - (+p.dataset.turn || 0)) / 90) % 4 + 4) % 4;
  if (!quarters) return;
  settleZoom(); // a layer keeps its page's size while a zoom lasts: the size before the turn
  p.dataset.turn = turn;
  const thumb = thumbs.get(p.dataset.index)?.querySelector("img, .thumb-page");
  for (const el of [p, thumb]) {
    if (!el || quarters % 2 === 0) continue;
    const [, w, h] = el.style.aspectRatio.match(/([\d.]+)\s*\/\s*([\d.]+)/);
    el.style.setProperty("--w", h);
    el.style.setProperty("--h", w);
    el.style.aspectRatio = `${h}/${w}`;
  }
  const turned = (url) => {
    const u = new URL(url, location.href);
    u.searchParams.set("turn", turn);
    return u.pathname + u.search;
  };
  for (const img of [p.querySelector(":scope > img"), thumb]) {
    if (!img?.src) continue; // not made yet: made turned
    if (img.srcset) img.srcset = img.srcset.split(", ").map((s) => s.split(" ")).map(([u, w]) => `${turned(u)} ${w}`).join(", ");
    img.src = turned(img.getAttribute("src"));
  }
  for (const el of p.querySelectorAll(".box, .block, .find-hit")) {
    const s = el.style;
    const l = parseFloat(s.left) / 100, t = parseFloat(s.top) / 100;
    let f = { left: l, top: t, right: l + parseFloat(s.width) / 100, bottom: t + parseFloat(s.height) / 100 };
    for (let i = 0; i < quarters; i++) f = quarter(f);
    s.left = `${f.left * 100}%`;
    s.top = `${f.top * 100}%`;
    s.width = `${(f.right - f.left) * 100}%`;
    s.height = `${(f.bottom - f.top) * 100}%`;
  }
  if (fit === "page") fitPage();
  else if (fit === "width") fitWidth();
}

// showTurns shows the pages of the documents on this page as they are
// turned now: another viewer turned one.
async function showTurns() {
  const docs = new Map(); // the turns URL of each document, and its pages
  for (const p of pagesEl.querySelectorAll(".page[data-image]")) {
    const url = p.dataset.image.replace(/\/\d+$/, "/turns");
    docs.set(url, [...(docs.get(url) || []), p]);
  }
  for (const [url, pages] of docs) {
    const res = await fetch(url, { headers: { Accept: "application/json" } }).catch(() => null);
    if (!res?.ok) continue;
    const turns = await res.json();
    for (const p of pages) showTurn(p, turns[p.dataset.page] || 0);
  }
}
document.addEventListener("reviewer:turned", () => (turning = turning.then(showTurns)));

// --- drawing a box by hand ---

let drawing = false;
function setDrawing(on) {
  drawing = on;
  pagesEl.classList.toggle("drawing", on);
  document.querySelector('[data-viewer="draw"]').setAttribute("aria-pressed", on);
}
pagesEl.addEventListener("pointerdown", (e) => {
  const page = e.target.closest(".page");
  if (!drawing || !page || e.button !== 0) return;
  e.preventDefault();
  const loading = ensureWords(page);
  const p = page.getBoundingClientRect();
  const x0 = (e.clientX - p.left) / p.width, y0 = (e.clientY - p.top) / p.height;
  const draft = document.createElement("div");
  draft.className = "draft-box";
  page.append(draft);
  const move = (m) => {
    const x1 = (m.clientX - p.left) / p.width, y1 = (m.clientY - p.top) / p.height;
    Object.assign(draft.style, {
      left: Math.min(x0, x1) * 100 + "%", top: Math.min(y0, y1) * 100 + "%",
      width: Math.abs(x1 - x0) * 100 + "%", height: Math.abs(y1 - y0) * 100 + "%",
    });
  };
  // The box is the field's location, and the words inside it its value.
  const up = async () => {
    pagesEl.removeEventListener("pointermove", move);
    const rect = fractions(draft, page);
    await loading;
    let text = textIn(page, draft);
    // A scan without words: Tesseract on the server reads the box.
    if (!text && page.dataset.image && !page.querySelector(":scope > .block")) text = await readBox(page, rect);
    draft.remove();
    setDrawing(false);
    if (active && rect.right - rect.left > 0.002 && rect.bottom - rect.top > 0.002) {
      document.dispatchEvent(new CustomEvent("reviewer:pick", {
        detail: { output: activeOutput, path: active, fileId: page.dataset.fileId, page: +page.dataset.page, rect, how: "drawn box", text: text || undefined },
      }));
    }
  };
  pagesEl.addEventListener("pointermove", move);
  pagesEl.addEventListener("pointerup", up, { once: true });
});

// readBox asks the server to read the text in a box drawn on a page with no
// text layer; "" when it cannot (no Tesseract, nothing legible).
async function readBox(page, rect) {
  pagesEl.setAttribute("aria-busy", "true");
  try {
    const res = await fetch(`${page.dataset.image}/read`, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(rect),
    });
    return res.ok ? (await res.json()).text : "";
  } catch {
    return "";
  } finally {
    pagesEl.removeAttribute("aria-busy");
  }
}

// --- toolbar and keys ---

const actions = {
  prev: () => goPage(-1),
  next: () => goPage(1),
  "zoom-in": () => zoom(1.25),
  "zoom-out": () => zoom(0.8),
  "fit-width": fitWidth,
  "fit-page": fitPage,
  text: () => {
    const on = pagesEl.classList.toggle("show-text");
    document.querySelector('[data-viewer="text"]').setAttribute("aria-pressed", on);
    if (on) wordsInView();
  },
  draw: () => setDrawing(!drawing),
  turn: () => turnPage(90),
  "turn-back": () => turnPage(-90),
  find: openFind,
  "find-next": () => step(1),
  "find-prev": () => step(-1),
};
document.querySelectorAll("[data-viewer]").forEach((b) => b.addEventListener("click", () => actions[b.dataset.viewer]()));
// Each document key works in a field too, with Alt.
for (const [keys, action, help] of [
  [["["], "prev", "previous page"],
  [["]"], "next", "next page"],
  [["+"], "zoom-in", "zoom in"],
  [["-"], "zoom-out", "zoom out"],
  [["0"], "fit-width", "fit the page's width"],
  [["9"], "fit-page", "fit the whole page"],
  [["T"], "text", "show the page's text; click a piece to use it in the field"],
  [["D"], "draw", "draw the field's box by hand; the words inside it become its value"],
  [["O"], "turn", "turn the page a quarter clockwise, for everyone who views it"],
  [["Shift+O"], "turn-back", "turn the page a quarter back (anticlockwise), for everyone who views it"],
  [["F"], "find", "find text in the document: Enter goes to the next match, Shift+Enter back, Esc returns"],
]) {
  bind({ page: keys, field: keys.map((k) => "Alt+" + k), group: "Document", help, run: actions[action] });
}
bind({ page: ["Escape"], group: "Document", help: "stop drawing", when: () => drawing, run: () => setDrawing(false) });
// Ctrl + wheel zooms the document, not the whole page: once a frame, by
// all the wheel turned since the last (a wheel sends more events than
// frames).
let wheeled = 1, wheelFrame = 0;
pagesEl.addEventListener("wheel", (e) => {
  if (!e.ctrlKey) return;
  e.preventDefault();
  wheeled *= e.deltaY < 0 ? 1.1 : 0.9;
  wheelFrame ||= requestAnimationFrame(() => {
    zoom(wheeled);
    wheeled = 1;
    wheelFrame = 0;
  });
}, { passive: false });
// The editor put the cursor in a field before this module listened for it
// (it is imported first): that field's box is lit and shown once the pages
// have their first size, as a field reached by Tab is.
let opened = document.activeElement?.closest?.(".field");
new ResizeObserver(() => {
  if (fit === "width") fitWidth();
  else if (fit === "page") fitPage();
  if (opened && document.activeElement?.closest?.(".field") === opened) focusField(opened.dataset.path, { output: opened.dataset.output, behavior: "instant" });
  opened = null;
}).observe(pagesEl);

// Fitted once, keeping a centre only if the view did not open at the top:
// each read of the layout after restyling the pages lays out all of them
// again, before the first page is painted if the browser ran this first.
setScale((pagesEl.clientWidth - 40) / widest(), pagesEl.scrollTop > 0);
window.reviewerViewer = { focusField, setScale, get scale() { return scale; } };

// A page the server cannot draw (a document too complex to show, say) says
// why in its place instead of showing a broken image: the image's own
// answer carries the sentence. A busy server (503: the decoding budget is
// taken) is asked again, waiting longer each time, for about half a minute
// before the page gives up. Error events do not bubble: listen
// while they come down; an image that failed before this script ran is
// taken up at once.
async function imageFailed(img) {
  if (!(img instanceof HTMLImageElement) || img.dataset.failed) return;
  img.dataset.failed = "1";
  const tries = +(img.dataset.tries || 0) + 1;
  img.dataset.tries = tries;
  let why = "This page cannot be shown.";
  try {
    const res = await fetch(img.currentSrc || img.src, { headers: { Accept: "application/json" } });
    if (res.ok || (res.status === 503 && tries < 10)) {
      if (!res.ok) await new Promise((r) => setTimeout(r, 1000 * Math.min(tries, 5)));
      delete img.dataset.failed;
      if (img.srcset) img.srcset = img.srcset; // setting them loads the image again
      img.src = img.getAttribute("src");
      return;
    }
    why = (await res.json())?.error?.message || why;
  } catch {
    // keep the general sentence
  }
  const note = document.createElement("div");
  note.className = "page-missing";
  note.setAttribute("role", "status");
  note.textContent = why;
  img.replaceWith(note);
}
pagesEl.addEventListener("error", (e) => imageFailed(e.target), true);
for (const img of pagesEl.querySelectorAll("img")) {
  if (img.complete && img.naturalWidth === 0 && img.currentSrc) imageFailed(img);
}

// --- the field panel's width: dragged or by arrow keys, kept per browser ---

const workspace = document.querySelector(".workspace");
const splitter = document.querySelector(".splitter");
const panelKey = "reviewer:panel-width";
function setPanel(px) {
  const w = Math.round(Math.min(Math.max(px, 300), Math.min(1000, workspace.clientWidth - 320)));
  workspace.style.setProperty("--field-panel", w + "px");
  splitter.setAttribute("aria-valuenow", w);
  localStorage.setItem(panelKey, w);
}
function panelWidth() {
  return document.getElementById("fields").getBoundingClientRect().width;
}
if (splitter) {
  const kept = +localStorage.getItem(panelKey);
  if (kept) setPanel(kept);
  else splitter.setAttribute("aria-valuenow", Math.round(panelWidth()));
  splitter.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    splitter.setPointerCapture(e.pointerId);
    splitter.classList.add("dragging");
    const right = workspace.getBoundingClientRect().right;
    const move = (m) => setPanel(right - m.clientX);
    splitter.addEventListener("pointermove", move);
    splitter.addEventListener("pointerup", () => {
      splitter.removeEventListener("pointermove", move);
      splitter.classList.remove("dragging");
    }, { once: true });
  });
  const onSplitter = (e) => !e || e.target === splitter;
  bind({ page: ["ArrowLeft"], group: "Document", help: "on the divider: widen the field panel", when: onSplitter, run: () => setPanel(panelWidth() + 32) });
  bind({ page: ["ArrowRight"], group: "Document", help: "on the divider: narrow the field panel", when: onSplitter, run: () => setPanel(panelWidth() - 32) });
}
