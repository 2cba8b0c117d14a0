// Documents waiting to be uploaded, kept in IndexedDB so that a capture made offline (or
// when the upload API answers 503) survives closing the page, and is sent when the phone
// is back online. Nothing leaves the outbox until the API acknowledged it (201) or
// refused it for good (4xx: kept with its reason until the user discards it).

const DB = "inkstream-capture", STORE = "outbox";

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const result = fn(t.objectStore(STORE));
    t.oncomplete = () => resolve(result.result ?? result);
    t.onerror = () => reject(t.error);
  });
}

export const outbox = {
  add: (entry) => tx("readwrite", (s) => s.add({ ...entry, state: "queued", createdAt: Date.now() })),
  all: () => tx("readonly", (s) => s.getAll()),
  put: (entry) => tx("readwrite", (s) => s.put(entry)),
  remove: (id) => tx("readwrite", (s) => s.delete(id)),
};

// Send every queued entry once. `send(entry)` resolves to {ok, status, body}; returns
// the entries acknowledged in this pass.
export async function flush(send) {
  const done = [];
  for (const entry of await outbox.all()) {
    if (entry.state !== "queued") continue;
    let answer;
    try {
      answer = await send(entry);
    } catch (err) {
      break; // offline or the server unreachable: keep everything, try again later
    }
    if (answer.ok) {
      await outbox.remove(entry.id);
      done.push({ ...entry, docId: answer.body.doc_id });
    } else if (answer.status >= 500 || answer.status === 429) {
      break; // the API asked to retry later
    } else {
      await outbox.put({ ...entry, state: "refused", reason: answer.body.detail || answer.body.reason || `HTTP ${answer.status}` });
    }
  }
  return done;
}
