// Presenter mode's keys: the arrows and Page Up/Down (what a clicker sends) step through
// the lesson, Escape leaves presenter mode. One listener on the app's document, whatever
// the number of mounts; each render hands it the current step's addresses.
const KEYS = {
  ArrowRight: "next", PageDown: "next", ArrowDown: "next",
  ArrowLeft: "prev", PageUp: "prev", ArrowUp: "prev",
  Escape: "exit",
};
const shared = (globalThis.__vaeLessonKeys ||= { data: null, owner: null, listener: null });

function editable(target) {
  if (!target || !target.closest) return false;
  return !!target.closest('input, textarea, select, [contenteditable="true"], [role="slider"]');
}

function onKey(event) {
  const data = shared.data;
  const where = data && KEYS[event.key];
  if (!where || event.altKey || event.ctrlKey || event.metaKey) return;
  if (where !== "exit" && editable(event.target)) return;  // a focused slider keeps its arrows
  const url = data[where];
  if (!url) return;
  event.preventDefault();
  window.location.assign(url);
}

export default function (component) {
  const { data, parentElement } = component;
  shared.data = data;
  shared.owner = parentElement;
  if (!shared.listener) {
    shared.listener = onKey;
    document.addEventListener("keydown", onKey, true);
  }
  return () => {
    if (shared.owner !== parentElement) return;
    document.removeEventListener("keydown", shared.listener, true);
    shared.listener = null;
    shared.data = null;
    shared.owner = null;
  };
}
