/* The check-in app: takes attendance at the door with or without a network.

   Everything a tap needs is on the device: the roster (IndexedDB "rosters", only what the
   door needs) and the taps (IndexedDB "taps"). A tap is written to IndexedDB first, with its
   own id and the time it was made, shown at once, and uploaded when the network allows; the
   server applies each id once, so sending again after a lost answer is safe. The roster is
   synced on open and then by changes since the cursor the server gave (page by page, saved
   after each page, so an interrupted sync resumes). It is erased after the event.

   No words live here: the page passes them in, translated (#door-config). */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("door-config").textContent);
  var S = config.strings;
  var SYNC_EVERY_MS = 20000;
  var CHUNK = 100;

  // --- small helpers --------------------------------------------------------------------

  function $(id) {
    return document.getElementById(id);
  }

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, name) {
      return values[name] === undefined ? "" : String(values[name]);
    });
  }

  function fold(text) {
    return (text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function timeText(iso) {
    var options = { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
    if (state.roster && state.roster.event) options.timeZone = state.roster.event.timezone;
    try {
      return new Date(iso).toLocaleTimeString(config.locale, options);
    } catch (e) {
      return new Date(iso).toLocaleTimeString();
    }
  }

  // --- IndexedDB ------------------------------------------------------------------------

  var dbPromise = null;

  function openDb() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      var request = indexedDB.open("eventhub-door", 1);
      request.onupgradeneeded = function () {
        var db = request.result;
        db.createObjectStore("meta", { keyPath: "k" });
        db.createObjectStore("rosters", { keyPath: "eventId" });
        db.createObjectStore("taps", { keyPath: "id" }).createIndex("eventId", "eventId");
      };
      request.onsuccess = function () {
        resolve(request.result);
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
    return dbPromise;
  }

  function store(name, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result = work(tx.objectStore(name));
        tx.oncomplete = function () {
          resolve(result && "result" in result ? result.result : result);
        };
        tx.onerror = tx.onabort = function () {
          reject(tx.error);
        };
      });
    });
  }

  function get(name, key) {
    return store(name, "readonly", function (s) {
      return s.get(key);
    });
  }

  function put(name, value) {
    return store(name, "readwrite", function (s) {
      s.put(value);
    });
  }

  function remove(name, key) {
    return store(name, "readwrite", function (s) {
      s.delete(key);
    });
  }

  function tapsOf(eventId) {
    return store("taps", "readonly", function (s) {
      return s.index("eventId").getAll(eventId);
    });
  }

  function meta(key) {
    return get("meta", key).then(function (row) {
      return row ? row.v : null;
    });
  }

  function setMeta(key, value) {
    return put("meta", { k: key, v: value });
  }

  // --- state ----------------------------------------------------------------------------

  var state = {
    eventId: null,
    token: null, // an enrolled device's token; signed-in staff have none
    client: null,
    roster: null, // {eventId, event, rows: {key: row}, present: [keys], counts, cursor, syncedAt, expiresAt}
    taps: [], // this event's taps still on the device: pending or refused
    csrf: null,
    online: navigator.onLine,
    syncing: false,
    again: false,
    stopped: null, // "revoked" or "signed_out": syncing waits for the person to act
    expired: false, // the event is over and its roster has left the device
  };

  function pending() {
    return state.taps.filter(function (t) {
      return t.state === "pending";
    });
  }

  // Who is present: what the server said, then this device's unsent taps in order.
  function presentKeys() {
    var present = new Set(state.roster ? state.roster.present : []);
    pending()
      .slice()
      .sort(function (a, b) {
        return a.at < b.at ? -1 : a.at > b.at ? 1 : 0;
      })
      .forEach(function (t) {
        if (t.kind === "present") present.add(t.key);
        if (t.kind === "undo") present.delete(t.key);
      });
    return present;
  }

  // --- rendering ------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function rowItem(row, present, unsent) {
    var li = el("li", "door-row" + (present ? " is-present" : ""));
    li.id = "row-" + row.key;
    var who = el("div", "door-who");
    who.appendChild(el("span", "door-name", row.name));
    if (row.org) who.appendChild(el("span", "door-org", row.org));
    if (row.lead) who.appendChild(el("span", "door-org", format(S.with_lead, { name: row.lead })));
    if (row.status === "walk_in") who.appendChild(el("span", "badge", S.walk_in));
    else if (row.status !== "confirmed")
      who.appendChild(el("span", "badge badge-wait", config.statuses[row.status] || row.status));
    if (row.needs) who.appendChild(el("span", "door-needs", S.needs));
    if (present) who.appendChild(el("span", "door-state", S.present));
    if (unsent) who.appendChild(el("span", "door-unsent", S.not_sent));
    li.appendChild(who);
    if (row.key.charAt(0) === "r" && !(state.roster.event && state.roster.event.closed)) {
      var button = el("button", "door-button" + (present ? " door-undo" : ""));
      button.type = "button";
      button.dataset.key = row.key;
      button.appendChild(document.createTextNode(present ? S.undo : S.present));
      button.appendChild(el("span", "visually-hidden", ": " + row.name));
      li.appendChild(button);
    }
    return li;
  }

  function allRows() {
    var rows = Object.keys(state.roster.rows).map(function (key) {
      return state.roster.rows[key];
    });
    pending().forEach(function (t) {
      if (t.kind === "walk_in") rows.push({ key: "t" + t.id, name: t.name, org: t.org || "", status: "walk_in" });
    });
    return rows.sort(function (a, b) {
      var x = fold(a.name), y = fold(b.name);
      return x < y ? -1 : x > y ? 1 : a.key < b.key ? -1 : 1;
    });
  }

  function render() {
    renderSync();
    if (!state.roster) return;
    $("door-app").hidden = false;
    var event = state.roster.event;
    $("door-event-title").textContent = event.title;
    $("door-back").href = event.checkin_url;
    var present = presentKeys();
    var unsentKeys = new Set(
      pending().map(function (t) {
        return t.key || "t" + t.id;
      })
    );
    var words = fold($("door-q").value).split(/\s+/).filter(Boolean);
    var list = $("door-list");
    var fragment = document.createDocumentFragment();
    var shown = 0;
    allRows().forEach(function (row) {
      var text = fold(row.name + " " + row.org + " " + (row.lead || ""));
      var match = words.every(function (w) {
        return text.indexOf(w) !== -1;
      });
      if (!match) return;
      shown += 1;
      var isPresent = row.key.charAt(0) === "t" || present.has(row.key);
      fragment.appendChild(rowItem(row, isPresent, unsentKeys.has(row.key)));
    });
    var focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : null;
    list.replaceChildren(fragment);
    if (focused) {
      var again = list.querySelector('button[data-key="' + focused + '"]');
      if (again) again.focus();
    }
    $("door-empty").hidden = shown > 0;
    $("door-empty").textContent = shown ? "" : S.no_match;
    renderCounts(present);
    renderQueue();
  }

  function renderCounts(present) {
    var counts = state.roster.counts || {};
    var registered = 0;
    var walkIns = 0;
    present.forEach(function (key) {
      if (key.charAt(0) === "r") registered += 1;
      else walkIns += 1;
    });
    var local = { confirmed: counts.confirmed || 0, present: registered, walk_ins: walkIns, headcount: counts.headcount || 0 };
    pending().forEach(function (t) {
      if (t.kind === "walk_in") local.walk_ins += 1;
      if (t.kind === "headcount") local.headcount += t.count;
    });
    Object.keys(local).forEach(function (name) {
      var cell = document.querySelector('[data-count="' + name + '"]');
      if (cell) cell.textContent = local[name];
    });
  }

  function describe(t) {
    var row = t.key && state.roster ? state.roster.rows[t.key] : null;
    var who = row ? row.name : t.name || "";
    var what = { present: S.present, undo: S.undo, walk_in: S.walk_in, headcount: S.headcount }[t.kind];
    var detail = t.kind === "headcount" ? String(t.count) : who;
    return timeText(t.at) + " · " + what + (detail ? ": " + detail : "");
  }

  function renderQueue() {
    var queue = $("door-queue");
    queue.replaceChildren();
    pending().forEach(function (t) {
      queue.appendChild(el("li", "", describe(t)));
    });
    var refused = state.taps.filter(function (t) {
      return t.state === "refused";
    });
    $("door-refused").replaceChildren();
    refused.forEach(function (t) {
      $("door-refused").appendChild(el("li", "", describe(t) + " – " + (t.message || "")));
    });
    $("door-refused-block").hidden = refused.length === 0;
  }

  function renderSync() {
    var online = $("door-online");
    online.dataset.online = state.online ? "yes" : "no";
    online.textContent = state.online ? S.online : S.offline;
    var waiting = pending().length;
    var line = $("door-pending");
    var text = waiting ? format(S.pending, { n: waiting }) : S.nothing_pending;
    if (line.textContent !== text) line.textContent = text;
    line.classList.toggle("has-pending", waiting > 0);
    var synced = state.roster && state.roster.syncedAt;
    $("door-synced").textContent = synced ? format(S.last_sync, { time: timeText(synced) }) : S.never_synced;
  }

  function announce(message) {
    $("door-message").textContent = message;
  }

  function problem(message) {
    var box = $("door-problem");
    box.hidden = !message;
    box.textContent = message || "";
  }

  // --- taps -----------------------------------------------------------------------------

  function tap(kind, fields) {
    var t = Object.assign({ id: newId(), eventId: state.eventId, kind: kind, at: new Date().toISOString(), state: "pending" }, fields);
    // Kept on the device before anything else happens: a tap is never only in memory.
    return put("taps", t).then(function () {
      state.taps.push(t);
      render();
      soon();
      return t;
    });
  }

  function togglePresent(key) {
    var row = state.roster.rows[key];
    if (!row) return Promise.resolve();
    if (presentKeys().has(key)) {
      return tap("undo", { key: key }).then(function () {
        announce(format(S.unmarked, { name: row.name }));
      });
    }
    return markPresent(row);
  }

  function markPresent(row) {
    if (presentKeys().has(row.key)) {
      announce(format(S.already, { name: row.name }));
      return Promise.resolve();
    }
    return tap("present", { key: row.key }).then(function () {
      announce(format(S.marked, { name: row.name }));
    });
  }

  // --- sync -----------------------------------------------------------------------------

  function SyncError(code) {
    this.code = code;
  }

  function request(url, options) {
    options = options || {};
    options.headers = options.headers || {};
    options.credentials = "same-origin";
    options.cache = "no-store";
    if (state.token) options.headers.Authorization = "Bearer " + state.token;
    return fetch(url, options).then(function (response) {
      return response.json().then(
        function (body) {
          if (!response.ok) throw new SyncError(body.error || "http");
          return body;
        },
        function () {
          throw new SyncError("http");
        }
      );
    });
  }

  function rosterUrl(cursor) {
    var url = config.roster + "?event=" + encodeURIComponent(state.eventId || "");
    return cursor ? url + "&cursor=" + encodeURIComponent(cursor) : url;
  }

  // The roster's changes, page by page; each page is kept before the next is asked for.
  function pull() {
    var roster = state.roster;
    return request(rosterUrl(roster && roster.cursor)).then(function (body) {
      if (body.csrf_token) state.csrf = body.csrf_token;
      if (!state.eventId) state.eventId = body.event.id;
      if (!roster || roster.eventId !== body.event.id) {
        roster = { eventId: body.event.id, rows: {}, present: [] };
      }
      roster.event = body.event;
      roster.counts = body.counts;
      roster.expiresAt = body.expires_at;
      body.rows.forEach(function (row) {
        roster.rows[row.key] = row;
      });
      roster.cursor = body.cursor;
      if (!body.more) {
        var keep = new Set(body.keys);
        Object.keys(roster.rows).forEach(function (key) {
          if (!keep.has(key)) delete roster.rows[key];
        });
        roster.present = body.present;
        roster.syncedAt = new Date().toISOString();
      }
      state.roster = roster;
      return put("rosters", roster).then(function () {
        return body.more ? pull() : null;
      });
    });
  }

  function push() {
    var waiting = pending().slice().sort(function (a, b) {
      return a.at < b.at ? -1 : 1;
    });
    if (!waiting.length) return Promise.resolve(false);
    var chunk = waiting.slice(0, CHUNK);
    var headers = { "Content-Type": "application/json" };
    if (!state.token) {
      headers["X-CSRFToken"] = state.csrf || "";
      headers["X-Door-Client"] = state.client;
    }
    var body = {
      pending: waiting.length - chunk.length,
      taps: chunk.map(function (t) {
        return { id: t.id, kind: t.kind, at: t.at, key: t.key, name: t.name, org: t.org, count: t.count, note: t.note };
      }),
    };
    var url = config.taps + "?event=" + encodeURIComponent(state.eventId);
    return request(url, { method: "POST", headers: headers, body: JSON.stringify(body) })
      .then(function (answer) {
        return settle(chunk, answer);
      })
      .then(function () {
        return waiting.length > chunk.length ? push() : true;
      });
  }

  // The server has answered for these taps: they leave the queue (refused ones are kept to
  // be read), and what they did is taken into the roster until the next pull confirms it.
  function settle(chunk, answer) {
    var byId = {};
    answer.results.forEach(function (r) {
      byId[r.id] = r;
    });
    var present = new Set(state.roster ? state.roster.present : []);
    var work = chunk.map(function (t) {
      var result = byId[t.id];
      if (!result) return Promise.resolve();
      state.taps = state.taps.filter(function (x) {
        return x.id !== t.id;
      });
      if (result.outcome === "refused") {
        t.state = "refused";
        t.message = result.message || result.reason;
        state.taps.push(t);
        return put("taps", t);
      }
      if (result.outcome !== "superseded" && t.kind === "present") present.add(t.key);
      if (result.outcome !== "superseded" && t.kind === "undo") present.delete(t.key);
      return remove("taps", t.id);
    });
    return Promise.all(work).then(function () {
      if (!state.roster) return null;
      state.roster.present = Array.from(present);
      state.roster.counts = answer.counts;
      return put("rosters", state.roster);
    });
  }

  function sync() {
    if (state.syncing) {
      state.again = true;
      return Promise.resolve();
    }
    if (!state.eventId && !state.token) return Promise.resolve();
    state.syncing = true;
    // After the event only unsent taps still travel; the roster is not fetched again.
    var fetchRoster = state.expired ? function () {} : pull;
    return Promise.resolve()
      .then(fetchRoster)
      .then(push)
      .then(function (sent) {
        return sent ? fetchRoster() : null;
      })
      .then(function () {
        state.online = true;
        state.stopped = null;
        if (!state.expired) problem("");
      })
      .catch(function (error) {
        if (error instanceof SyncError) {
          state.online = true;
          if (error.code === "csrf") state.csrf = null;
          else if (error.code === "expired") return erase(true);
          else if (error.code === "revoked" || error.code === "signed_out") {
            state.stopped = error.code;
            if (!state.expired) problem(S[error.code]);
          }
        } else {
          state.online = false; // the network did not answer
        }
      })
      .then(function () {
        state.syncing = false;
        render();
        if (state.again) {
          state.again = false;
          soon();
        }
      });
  }

  var timer = null;

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (navigator.onLine) sync();
      else {
        state.online = false;
        renderSync();
      }
    }, 300);
  }

  // --- after the event: the personal data leaves the device -------------------------------

  function erase(announceIt) {
    var eventId = state.eventId;
    state.roster = null;
    state.expired = true;
    $("door-app").hidden = true;
    if (announceIt) problem(S.expired);
    return remove("rosters", eventId).then(function () {
      // Unsent taps stay until they are sent: they are the attendance record.
      return Promise.all(
        state.taps
          .filter(function (t) {
            return t.state !== "pending";
          })
          .map(function (t) {
            return remove("taps", t.id);
          })
      );
    });
  }

  function expired() {
    return state.roster && state.roster.expiresAt && new Date(state.roster.expiresAt) < new Date();
  }

  // --- scanning ---------------------------------------------------------------------------

  var scanner = { stream: null, detector: null, canvas: null, last: "", lastAt: 0 };

  function codeIn(text) {
    // The mail's QR holds the check-in address; its last part is the code on the roster.
    var match = /\/checkin\/([^/?#\s]+)/.exec(text || "");
    return match ? match[1] : (text || "").trim();
  }

  function found(text) {
    var code = codeIn(text);
    var now = Date.now();
    if (code === scanner.last && now - scanner.lastAt < 3000) return; // the same code still in view
    scanner.last = code;
    scanner.lastAt = now;
    var row = Object.keys(state.roster.rows)
      .map(function (k) {
        return state.roster.rows[k];
      })
      .filter(function (r) {
        return r.code && r.code === code;
      })[0];
    if (!row) {
      announce(S.unknown_code);
      return;
    }
    markPresent(row);
  }

  function detectorFor() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return BarcodeDetector.getSupportedFormats()
      .then(function (formats) {
        return formats.indexOf("qr_code") !== -1 ? new BarcodeDetector({ formats: ["qr_code"] }) : null;
      })
      .catch(function () {
        return null;
      });
  }

  // One picture (a video frame, a photo): BarcodeDetector where the browser has it, jsQR else.
  function decode(source, width, height) {
    var viaDetector = scanner.detector
      ? scanner.detector.detect(source).then(
          function (codes) {
            return codes.length ? codes[0].rawValue : null;
          },
          function () {
            return null;
          }
        )
      : Promise.resolve(null);
    return viaDetector.then(function (text) {
      if (text || !window.jsQR) return text;
      scanner.canvas = scanner.canvas || document.createElement("canvas");
      scanner.canvas.width = width;
      scanner.canvas.height = height;
      var context = scanner.canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(source, 0, 0, width, height);
      var image = context.getImageData(0, 0, width, height);
      var result = window.jsQR(image.data, width, height, { inversionAttempts: "dontInvert" });
      return result ? result.data : null;
    });
  }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      announce(S.camera_off);
      return;
    }
    detectorFor()
      .then(function (detector) {
        scanner.detector = detector;
        return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      })
      .then(function (stream) {
        scanner.stream = stream;
        var video = $("door-video");
        video.srcObject = stream;
        $("door-camera").hidden = false;
        announce(S.scanning);
        return video.play().then(scanFrame);
      })
      .catch(function () {
        stopCamera();
        announce(S.camera_off);
        $("door-q").focus();
      });
  }

  function scanFrame() {
    if (!scanner.stream) return;
    var video = $("door-video");
    var width = video.videoWidth, height = video.videoHeight;
    var next = function () {
      setTimeout(scanFrame, 250);
    };
    if (!width || !height) return next();
    var scale = Math.min(1, 640 / width);
    decode(video, Math.round(width * scale), Math.round(height * scale)).then(function (text) {
      if (text) found(text);
      next();
    }, next);
  }

  function stopCamera() {
    if (scanner.stream) {
      scanner.stream.getTracks().forEach(function (track) {
        track.stop();
      });
    }
    scanner.stream = null;
    $("door-camera").hidden = true;
  }

  // Without the camera permission: the phone's own camera app takes a photo of the code.
  // (createImageBitmap reads the file directly: a blob: address would need a CSP exception.)
  function scanPhoto(file) {
    if (!file || !window.createImageBitmap) return;
    Promise.all([createImageBitmap(file), detectorFor()])
      .then(function (ready) {
        var image = ready[0];
        scanner.detector = ready[1];
        var scale = Math.min(1, 1024 / Math.max(image.width, image.height));
        return decode(image, Math.round(image.width * scale), Math.round(image.height * scale));
      })
      .then(function (text) {
        scanner.last = "";
        if (text) found(text);
        else announce(S.unknown_code);
      })
      .catch(function () {
        announce(S.unknown_code);
      });
  }

  // --- starting ---------------------------------------------------------------------------

  function readAddress() {
    // #event=12 from the check-in page; #enrol=TOKEN from the organiser's QR code. The token
    // leaves the address at once (it would otherwise stay in the history).
    var hash = new URLSearchParams(location.hash.slice(1));
    var result = { event: hash.get("event"), enrol: hash.get("enrol") };
    if (result.event || result.enrol) history.replaceState(null, "", location.pathname);
    return result;
  }

  function start() {
    var address = readAddress();
    return meta("client")
      .then(function (client) {
        state.client = client || newId();
        return client ? null : setMeta("client", state.client);
      })
      .then(function () {
        if (address.enrol) {
          // Which event the token is for, the server says on the first pull.
          state.token = address.enrol;
          state.eventId = null;
          return pull().then(function () {
            state.eventId = state.roster.eventId;
            return Promise.all([setMeta("token:" + state.eventId, state.token), setMeta("current", state.eventId)]);
          });
        }
        if (address.event && /^\d+$/.test(address.event)) {
          state.eventId = Number(address.event);
          return setMeta("current", state.eventId);
        }
        return meta("current").then(function (eventId) {
          state.eventId = eventId;
        });
      })
      .then(function () {
        if (!state.eventId) return null;
        return Promise.all([meta("token:" + state.eventId), get("rosters", state.eventId), tapsOf(state.eventId)]).then(function (found) {
          state.token = found[0] || state.token;
          state.roster = found[1] || state.roster;
          state.taps = found[2] || [];
        });
      })
      .catch(function () {
        state.online = false; // enrolling needs the network once
      })
      .then(function () {
        if (!state.eventId) {
          problem(S.no_event);
          renderSync();
          return;
        }
        if (expired()) erase(true);
        render();
        sync();
        setInterval(function () {
          if (expired()) erase(true).then(render);
          else if (navigator.onLine && !state.stopped) sync();
        }, SYNC_EVERY_MS);
      });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-key]");
    if (button) togglePresent(button.dataset.key);
  });
  $("door-q").addEventListener("input", render);
  $("door-search").addEventListener("submit", function (event) {
    event.preventDefault();
  });
  $("door-walk-in").addEventListener("submit", function (event) {
    event.preventDefault();
    var name = $("door-walk-in-name").value.trim().replace(/\s+/g, " ");
    if (!name) return;
    tap("walk_in", { name: name, org: $("door-walk-in-org").value.trim() }).then(function () {
      announce(format(S.walk_in_added, { name: name }));
      event.target.reset();
    });
  });
  $("door-headcount").addEventListener("submit", function (event) {
    event.preventDefault();
    var count = parseInt($("door-count").value, 10);
    if (!(count >= 0)) return;
    tap("headcount", { count: count, note: $("door-note").value.trim() }).then(function () {
      announce(S.headcount_added);
      event.target.reset();
    });
  });
  $("door-scan").addEventListener("click", startCamera);
  $("door-scan-stop").addEventListener("click", function () {
    stopCamera();
    $("door-scan").focus();
  });
  $("door-photo").addEventListener("change", function (event) {
    scanPhoto(event.target.files[0]);
    event.target.value = "";
  });
  $("door-refused-clear").addEventListener("click", function () {
    var refused = state.taps.filter(function (t) {
      return t.state === "refused";
    });
    state.taps = pending();
    Promise.all(
      refused.map(function (t) {
        return remove("taps", t.id);
      })
    ).then(render);
  });
  window.addEventListener("online", function () {
    state.online = true;
    sync();
  });
  window.addEventListener("offline", function () {
    state.online = false;
    renderSync();
  });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.worker, { scope: config.scope }).catch(function () {
      /* the app still works while the page is open; it just cannot open offline */
    });
  }
  start();
})();
