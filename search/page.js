// The page in Vietnamese (search/page.py: page_script): lang="vi", the page's style rules, and
// Streamlit's English replaced as it appears.  The three upper-case names between double
// underscores are filled in from STREAMLIT_VI, STREAMLIT_VI_PATTERNS and PAGE_CSS.
(() => {
  const doc = window.parent && window.parent.document ? window.parent.document : document;
  doc.documentElement.lang = "vi";
  if (doc.defaultView.__tracuuVietnamese) return;
  doc.defaultView.__tracuuVietnamese = true;
  const style = doc.createElement("style");
  style.textContent = __CSS__;
  doc.head.appendChild(style);
  const words = __WORDS__;
  const patterns = __PATTERNS__.map(([p, r]) => [new RegExp(p), r]);
  const say = (text) => {
    const key = text.trim();
    if (!key) return null;
    if (Object.prototype.hasOwnProperty.call(words, key)) return text.replace(key, words[key]);
    for (const [p, r] of patterns) if (p.test(key)) return text.replace(key, key.replace(p, r));
    return null;
  };
  const ATTRIBUTES = ["placeholder", "aria-label", "title"];
  const translate = (root) => {
    const walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const said = say(node.nodeValue);
      if (said !== null) node.nodeValue = said;
    }
    const elements = root.querySelectorAll
      ? root.querySelectorAll("[placeholder],[aria-label],[title]") : [];
    for (const el of elements) for (const name of ATTRIBUTES) {
      const value = el.getAttribute(name);
      if (value) { const said = say(value); if (said !== null) el.setAttribute(name, said); }
    }
  };
  translate(doc.body);
  new doc.defaultView.MutationObserver((changes) => {
    doc.documentElement.lang = "vi";
    for (const change of changes) {
      if (change.type === "characterData") {
        const said = say(change.target.nodeValue);
        if (said !== null) change.target.nodeValue = said;
      } else if (change.type === "attributes") {
        const value = change.target.getAttribute(change.attributeName);
        const said = value && say(value);
        if (said) change.target.setAttribute(change.attributeName, said);
      } else for (const node of change.addedNodes) {
        if (node.nodeType === 3) {
          const said = say(node.nodeValue);
          if (said !== null) node.nodeValue = said;
        } else if (node.nodeType === 1) translate(node);
      }
    }
  }).observe(doc.body, {childList: true, subtree: true, characterData: true,
                          attributes: true, attributeFilter: ATTRIBUTES});
  new doc.defaultView.MutationObserver(() => {
    if (doc.documentElement.lang !== "vi") doc.documentElement.lang = "vi";
  }).observe(doc.documentElement, {attributes: true, attributeFilter: ["lang"]});
})();
