// mesotron web UI: one page, hash routes, live from the master's server-sent events
// (/master/ui/events). Plain ES2020, no library, no build step (io/http/ui.py).
"use strict";

let S = null;            // the latest snapshot
let page = null;         // the route currently rendered (to keep per-page state)
let pageState = {};      // per-page state (sandbox viewer, why answer...)
const main = document.getElementById("main");

const esc = (v) => String(v === undefined || v === null ? "" : v)
  .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const fmt = (x, d = 2) => (typeof x === "number" ? (Number.isInteger(x) ? String(x) : String(Number(x.toFixed(d)))) : esc(x));
const when = (t) => (t ? new Date(t * 1000).toLocaleString() : "-");
const res = (r) => {
  if (!r) return "-";
  const parts = Object.entries(r).filter(([, v]) => v !== 0 && v !== "" && v !== null)
    .map(([k, v]) => `${k}:${typeof v === "number" ? fmt(v) : v}`);
  return esc(parts.join("; ") || "-");
};
const empty = (what) => `<div class="empty" data-empty="${esc(what)}">No ${esc(what)}.</div>`;
const link = (href, text) => `<a href="${esc(href)}">${esc(text)}</a>`;
const fwName = (id) => { const f = S && S.frameworks.find((x) => x.id === id); return f ? f.name : id; };

// ------------------------------------------------------------------ live updates
function connect() {
  const live = document.getElementById("live");
  const es = new EventSource("/master/ui/events");
  es.addEventListener("snapshot", (ev) => {
    S = JSON.parse(ev.data);
    live.textContent = "live";
    live.className = "live";
    render();
  });
  es.onerror = () => { live.textContent = "reconnecting"; live.className = "live off"; };
}

window.addEventListener("hashchange", () => render());

function route() {
  const h = (location.hash || "#/").slice(1).split("/").filter(Boolean).map(decodeURIComponent);
  return h;
}

function render() {
  if (!S) return;
  const r = route();
  const key = r.join("/");
  if (key !== page) { page = key; pageState = {}; }
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("on", a.dataset.nav === (r[0] || "overview")));
  try {
    switch (r[0] || "overview") {
      case "overview": return overview();
      case "agents": return r[1] ? agent(r[1]) : agents();
      case "frameworks": return r[1] ? framework(r[1]) : frameworks();
      case "tasks": return r[2] ? sandbox(r[1], r[2]) : tasks();
      case "offers": return offers();
      case "drf": return drf();
      default: main.innerHTML = `<h1>Not found</h1><p>${esc(location.hash)}</p>`;
    }
  } catch (e) {
    main.innerHTML = `<p class="err">UI error: ${esc(e && e.stack || e)}</p>`;
  }
}

// ------------------------------------------------------------------ pages
function overview() {
  const m = S.master, c = S.counts;
  const rows = Object.entries(S.resources).sort().map(([name, v]) => {
    const pu = v.total ? (100 * v.used) / v.total : 0, po = v.total ? (100 * v.offered) / v.total : 0;
    return `<tr data-resource="${esc(name)}"><td>${esc(name)}</td><td class="num">${fmt(v.total)}</td>
      <td class="num">${fmt(v.used)}</td><td class="num">${fmt(v.offered)}</td><td class="num">${fmt(v.idle)}</td>
      <td><div class="bar"><span class="used" style="left:0;width:${pu}%"></span>
      <span class="offered" style="left:${pu}%;width:${po}%"></span></div></td></tr>`;
  }).join("");
  main.innerHTML = `<h1>Cluster</h1>
    <div class="cards">
      <div class="card"><div class="v" data-count="agents">${c.agents}</div><div class="k">active agents (${c.agents_total} known)</div></div>
      <div class="card"><div class="v" data-count="frameworks">${c.frameworks}</div><div class="k">frameworks</div></div>
      <div class="card"><div class="v" data-count="tasks">${c.tasks_running}</div><div class="k">running tasks</div></div>
      <div class="card"><div class="v" data-count="offers">${c.offers}</div><div class="k">outstanding offers</div></div>
    </div>
    <h2>Master</h2>
    <div class="kv">
      <div>this master</div><div>${esc(m.pid)} ${m.elected ? "(leader)" : "(standby)"}</div>
      <div>leader</div><div data-leader>${esc(m.leader || "none known")}</div>
      <div>standbys</div><div>${esc((m.standbys || []).join(", ") || "none known")}</div>
      <div>elected</div><div>${when(m.elected_time)}</div>
      <div>started</div><div>${when(m.start_time)}</div>
      <div>version</div><div>${esc(m.version)}</div>
    </div>
    <h2>Resources</h2>
    ${rows ? `<table><tr><th>resource</th><th class="num">total</th><th class="num">used</th>
      <th class="num">offered</th><th class="num">idle</th><th>used / offered</th></tr>${rows}</table>` : empty("agents")}`;
}

function agents() {
  const rows = S.agents.map((a) => `<tr data-agent="${esc(a.id)}">
    <td>${link("#/agents/" + a.id, a.id)}</td><td>${esc(a.hostname || "-")}</td>
    <td class="state ${esc(a.state.split(" ")[0])}">${esc(a.state)}${a.drain ? " / draining" : ""}</td>
    <td>${res(a.resources)}</td><td>${res(a.used)}</td><td>${res(a.offered)}</td>
    <td>${esc(a.reserved || "-")}</td>
    <td>${esc(Object.entries(a.attributes || {}).map(([k, v]) => k + ":" + v).join("; ") || "-")}</td>
    <td class="num">${a.tasks_running}</td></tr>`).join("");
  main.innerHTML = `<h1>Agents</h1>` + (rows ? `<table><tr><th>id</th><th>host</th><th>state</th>
    <th>resources</th><th>used</th><th>offered</th><th>reserved</th><th>attributes</th><th class="num">running tasks</th></tr>${rows}</table>`
    : empty("agents"));
}

function agent(id) {
  const a = S.agents.find((x) => x.id === id);
  if (!a) { main.innerHTML = `<h1>Agent ${esc(id)}</h1><p class="err">Unknown agent.</p>`; return; }
  const mine = S.tasks.filter((t) => t.agent_id === id);
  main.innerHTML = `<h1>Agent ${esc(id)}</h1>
    <div class="kv"><div>host</div><div>${esc(a.hostname || "-")}</div><div>pid</div><div>${esc(a.pid || "-")}</div>
      <div>state</div><div class="state ${esc(a.state.split(" ")[0])}" data-agent-state>${esc(a.state)}</div>
      <div>drain</div><div>${esc(a.drain ? JSON.stringify(a.drain) : "not draining")}</div>
      <div>resources</div><div>${res(a.resources)}</div><div>used</div><div>${res(a.used)}</div>
      <div>offered</div><div>${res(a.offered)}</div><div>reserved</div><div>${esc(a.reserved || "none")}</div>
      <div>attributes</div><div>${esc(JSON.stringify(a.attributes || {}))}</div>
      <div>registered</div><div>${when(a.registered_time)}</div></div>
    <h2>Tasks</h2>${taskTable(mine, "tasks on this agent")}`;
}

function frameworks() {
  const live = S.frameworks.filter((f) => !f.completed), done = S.frameworks.filter((f) => f.completed);
  const row = (f) => `<tr data-framework="${esc(f.id)}"><td>${link("#/frameworks/" + f.id, f.id)}</td><td>${esc(f.name)}</td>
    <td>${esc(f.roles.map((r) => `${r} (w ${fmt(f.weights[r])})`).join(", "))}</td>
    <td class="num">${fmt(f.share, 4)}</td><td class="num">${f.offers}</td>
    <td>${esc(f.suppressed_roles.join(", ") || "-")}</td><td>${f.filters.length}</td>
    <td>${f.connected ? "connected" : "disconnected"}${f.active ? "" : ", inactive"}</td>
    <td>${esc(Object.entries(f.task_states).map(([k, v]) => `${k.replace("TASK_", "").toLowerCase()} ${v}`).join(", ") || "-")}</td></tr>`;
  const head = `<tr><th>id</th><th>name</th><th>roles (weight)</th><th class="num">dominant share</th>
    <th class="num">offers</th><th>suppressed</th><th>filters</th><th>connection</th><th>tasks</th></tr>`;
  main.innerHTML = `<h1>Frameworks</h1>` + (live.length ? `<table>${head}${live.map(row).join("")}</table>` : empty("frameworks"))
    + `<h2>Completed frameworks</h2>` + (done.length ? `<table>${head}${done.map(row).join("")}</table>` : empty("completed frameworks"));
}

function framework(id) {
  const f = S.frameworks.find((x) => x.id === id);
  if (!f) { main.innerHTML = `<h1>Framework ${esc(id)}</h1><p class="err">Unknown framework.</p>`; return; }
  const now = Date.now() / 1000;
  if (!pageState.whyAt || now - pageState.whyAt > 2) {
    pageState.whyAt = now;
    fetch(`/master/why?framework_id=${encodeURIComponent(id)}&max_agents=20`).then((r) => r.json())
      .then((w) => { pageState.why = w; if (page === "frameworks/" + id) drawWhy(); })
      .catch((e) => { pageState.why = { verdict: "error", summary: String(e) }; });
  }
  const mine = S.tasks.concat(S.completed_tasks).filter((t) => t.framework_id === id);
  const filters = f.filters.map((x) => `<tr><td>${link("#/agents/" + x.agent_id, x.agent_id)}</td><td>${esc(x.role)}</td>
    <td>${when(x.until)} (${fmt(x.until - now, 0)} s)</td><td>${esc(x.resources)}</td></tr>`).join("");
  main.innerHTML = `<h1>Framework ${esc(f.name)}</h1>
    <div class="kv"><div>id</div><div>${esc(f.id)}</div><div>user</div><div>${esc(f.user)}</div>
      <div>roles</div><div>${esc(f.roles.join(", "))}</div>
      <div>weights</div><div>${esc(Object.entries(f.weights).map(([r, w]) => r + "=" + w).join(", "))}</div>
      <div>dominant share</div><div>${fmt(f.share, 4)} ${esc(Object.entries(f.role_shares).map(([r, s]) => `(${r}: ${fmt(s, 4)})`).join(" "))}</div>
      <div>outstanding offers</div><div>${f.offers}</div><div>suppressed roles</div><div>${esc(f.suppressed_roles.join(", ") || "none")}</div>
      <div>used</div><div>${res(f.used)}</div><div>offered</div><div>${res(f.offered)}</div>
      <div>registered</div><div>${when(f.registered_time)}</div></div>
    <h2>Why is it (not) offered resources?</h2><div class="why" id="why"><span class="muted">asking the allocator&hellip;</span></div>
    <h2>Decline filters</h2>${filters ? `<table><tr><th>agent</th><th>role</th><th>until</th><th>resources</th></tr>${filters}</table>` : empty("active filters")}
    <h2>Tasks</h2>${taskTable(mine, "tasks")}`;
  drawWhy();
}

function drawWhy() {
  const el = document.getElementById("why"), w = pageState.why;
  if (!el || !w) return;
  const agents = (w.agents || []).map((a) => `<li>${esc(a.agent_id)} [${esc(a.role)}] <b>${esc(a.reason)}</b>: ${esc(a.message)}</li>`).join("");
  el.innerHTML = `<div class="verdict" data-verdict="${esc(w.verdict)}">${esc((w.verdict || "").toUpperCase())}</div>
    <div>${esc(w.summary)}</div>${agents ? `<ul>${agents}</ul>` : ""}
    <div class="muted">also: <code>mesotron why --master HOST:PORT ${esc(w.framework_id || "")}</code></div>`;
}

function taskTable(list, what) {
  if (!list.length) return empty(what);
  const rows = list.map((t) => {
    const last = t.statuses[t.statuses.length - 1] || {};
    const hist = t.statuses.map((s) => s.state.replace("TASK_", "") + (s.reason ? ` (${s.reason})` : "")).join(" → ");
    return `<tr data-task="${esc(t.id)}"><td>${link(`#/tasks/${t.framework_id}/${t.id}`, t.id)}</td><td>${esc(t.name)}</td>
      <td class="state ${esc(t.state)}">${esc(t.state)}</td>
      <td>${link("#/frameworks/" + t.framework_id, t.framework_name || t.framework_id)}</td>
      <td>${link("#/agents/" + t.agent_id, t.hostname || t.agent_id)}</td><td>${res(t.resources)}</td>
      <td>${t.healthy === null ? "-" : t.healthy ? "healthy" : "unhealthy"}</td>
      <td>${esc(hist)}${last.message ? `<div class="muted">${esc(last.message)}</div>` : ""}</td>
      <td>${link(`#/tasks/${t.framework_id}/${t.id}`, "sandbox")}</td></tr>`;
  }).join("");
  return `<table><tr><th>id</th><th>name</th><th>state</th><th>framework</th><th>agent</th><th>resources</th>
    <th>health</th><th>statuses (reasons)</th><th></th></tr>${rows}</table>`;
}

function tasks() {
  main.innerHTML = `<h1>Tasks</h1>${taskTable(S.tasks, "active tasks")}
    <h2>Completed tasks</h2>${taskTable(S.completed_tasks, "completed tasks")}`;
}

function offers() {
  const rows = S.offers.map((o) => `<tr data-offer="${esc(o.id)}"><td>${esc(o.id)}</td>
    <td>${link("#/frameworks/" + o.framework_id, fwName(o.framework_id))}</td>
    <td>${link("#/agents/" + o.agent_id, o.hostname || o.agent_id)}</td><td>${esc(o.role)}</td><td>${res(o.resources)}</td></tr>`).join("");
  main.innerHTML = `<h1>Outstanding offers</h1>` + (rows ? `<table><tr><th>id</th><th>framework</th><th>agent</th>
    <th>role</th><th>resources</th></tr>${rows}</table>` : empty("outstanding offers"));
}

// ------------------------------------------------------------------ sandbox (browse, read, live tail)
function sandbox(fid, tid) {
  const t = S.tasks.concat(S.completed_tasks).find((x) => x.id === tid && x.framework_id === fid);
  const st = pageState;
  if (!st.init) {
    st.init = true;
    st.file = "stdout";
    main.innerHTML = `<h1>Sandbox of task ${esc(tid)}</h1>
      <div class="kv"><div>framework</div><div>${link("#/frameworks/" + fid, fid)}</div>
        <div>state</div><div class="state" id="sb-state"></div><div>directory</div><div id="sb-dir" class="muted">locating&hellip;</div></div>
      <h2>Files</h2><div id="sb-files" class="muted">&hellip;</div>
      <h2>Live tail</h2><div class="tabs" id="sb-tabs"></div><pre class="log" id="sb-log"></pre>
      <div id="sb-status" class="muted"></div>`;
    fetch(`/master/ui/sandbox?framework_id=${encodeURIComponent(fid)}&task_id=${encodeURIComponent(tid)}`)
      .then(async (r) => { if (!r.ok) throw new Error(await r.text()); return r.json(); })
      .then((sb) => { st.sb = sb; st.dir = sb.directory; document.getElementById("sb-dir").textContent = sb.directory;
        browse(st, sb.directory); openFile(st, sb.directory + "/stdout"); })
      .catch((e) => { document.getElementById("sb-dir").innerHTML = `<span class="err">${esc(e.message || e)}</span>`; });
  }
  const se = document.getElementById("sb-state");
  if (se) { se.textContent = t ? t.state : "unknown"; se.className = "state " + (t ? t.state : ""); se.dataset.state = t ? t.state : ""; }
}

function filesUrl(st, op, path, extra = "") {
  return `/master/ui/files/${op}?agent_id=${encodeURIComponent(st.sb.agent_id)}&path=${encodeURIComponent(path)}${extra}`;
}

function browse(st, dir) {
  const el = document.getElementById("sb-files");
  fetch(filesUrl(st, "browse", dir)).then(async (r) => { if (!r.ok) throw new Error(await r.text()); return r.json(); })
    .then((list) => {
      const up = dir !== st.dir ? `<tr><td><a href="javascript:void 0" data-dir="${esc(dir.replace(/\/[^/]*$/, ""))}">..</a></td><td></td><td></td><td></td></tr>` : "";
      const rows = list.map((e) => {
        const name = e.path.split("/").pop(), isDir = e.mode.startsWith("d");
        return `<tr data-file="${esc(name)}"><td><a href="javascript:void 0" ${isDir ? "data-dir" : "data-open"}="${esc(e.path)}">${esc(name)}${isDir ? "/" : ""}</a></td>
          <td>${esc(e.mode)}</td><td class="num">${e.size}</td><td>${when(e.mtime)}</td></tr>`;
      }).join("");
      el.className = "";
      el.innerHTML = `<div class="muted">${esc(dir)}</div><table><tr><th>name</th><th>mode</th><th class="num">size</th><th>modified</th></tr>${up}${rows}</table>`;
      el.querySelectorAll("[data-dir]").forEach((a) => a.addEventListener("click", () => browse(st, a.dataset.dir)));
      el.querySelectorAll("[data-open]").forEach((a) => a.addEventListener("click", () => openFile(st, a.dataset.open)));
    }).catch((e) => { el.innerHTML = `<span class="err">${esc(e.message || e)}</span>`; });
}

function openFile(st, path) {
  if (st.timer) clearTimeout(st.timer);
  const token = (st.token = (st.token || 0) + 1);
  const log = document.getElementById("sb-log"), status = document.getElementById("sb-status");
  const tabs = document.getElementById("sb-tabs");
  tabs.innerHTML = ["stdout", "stderr"].map((n) => `<button data-tab="${n}" class="${path === st.dir + "/" + n ? "on" : ""}">${n}</button>`).join("")
    + ` <span class="muted">${esc(path)}</span>`;
  tabs.querySelectorAll("button").forEach((b) => b.addEventListener("click", () => openFile(st, st.dir + "/" + b.dataset.tab)));
  log.textContent = "";
  let offset = null;
  const tick = async () => {
    if (token !== st.token || !document.getElementById("sb-log")) return;  // another file or page
    try {
      if (offset === null) {  // start with the last 64 KiB, as a pager does
        const r = await fetch(filesUrl(st, "read", path, "&offset=-1"));
        if (!r.ok) throw new Error(await r.text());
        offset = Math.max(0, (await r.json()).offset - 65536);
      }
      for (let i = 0; i < 16; i++) {
        const r = await fetch(filesUrl(st, "read", path, `&offset=${offset}&length=65536`));
        if (!r.ok) throw new Error(await r.text());
        const d = await r.json();
        if (token !== st.token) return;
        if (!d.data) break;
        const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
        log.textContent += d.data;
        offset += new TextEncoder().encode(d.data).length;
        if (stick) log.scrollTop = log.scrollHeight;
      }
      status.textContent = `following ${path} (${offset} bytes)`;
    } catch (e) {
      status.innerHTML = `<span class="err">${esc(e.message || e)}</span>`;
    }
    st.timer = setTimeout(tick, 1000);
  };
  tick();
}

// ------------------------------------------------------------------ DRF over time
const COLORS = ["#2f6fb3", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#30638e", "#c1666b", "#4a4e69", "#9a8c98"];

function drf() {
  if (!pageState.init) {
    pageState.init = true;
    main.innerHTML = `<h1>DRF: dominant shares over time</h1>
      <p class="muted">Each framework's dominant share (the largest fraction of any resource it holds) and each role's, sampled every second by the master; the allocator offers next to the lowest (weighted) share.</p>
      <h2>Frameworks</h2><div id="drf-fw"></div><h2>Roles</h2><div id="drf-roles"></div>`;
  }
  const now = Date.now() / 1000;
  if (pageState.at && now - pageState.at < 1) return;
  pageState.at = now;
  fetch("/master/ui/drf").then((r) => r.json()).then((h) => {
    if (page !== "drf") return;
    const samples = h.samples || [];
    const fw = {}, roles = {};
    samples.forEach((s) => {
      Object.entries(s.frameworks).forEach(([id, v]) => { (fw[id] = fw[id] || { name: v.name, pts: [] }).pts.push([s.t, v.share]); });
      Object.entries(s.roles).forEach(([r, v]) => { (roles[r] = roles[r] || { name: r, pts: [] }).pts.push([s.t, v.share]); });
    });
    document.getElementById("drf-fw").innerHTML = plot(fw, samples, "frameworks");
    document.getElementById("drf-roles").innerHTML = plot(roles, samples, "roles");
  });
}

function plot(series, samples, what) {
  const ids = Object.keys(series).sort();
  if (!ids.length || samples.length === 0) return empty(what + " with a share yet");
  const W = 900, H = 260, L = 44, B = 24, T = 10, R = 10;
  const t0 = samples[0].t, t1 = Math.max(samples[samples.length - 1].t, t0 + 1);
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R), y = (v) => T + (1 - v) * (H - T - B);
  let svg = `<svg class="plot" data-plot="${esc(what)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`;
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    svg += `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e8ee"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11" fill="#6b7785">${v}</text>`;
  }
  svg += `<text x="${L}" y="${H - 6}" font-size="11" fill="#6b7785">${esc(new Date(t0 * 1000).toLocaleTimeString())}</text>`;
  svg += `<text x="${W - R}" y="${H - 6}" font-size="11" fill="#6b7785" text-anchor="end">${esc(new Date(t1 * 1000).toLocaleTimeString())}</text>`;
  ids.forEach((id, i) => {
    const pts = series[id].pts;
    // a step line: a share holds until the next sample
    let d = "";
    pts.forEach(([t, v], j) => { d += (j ? `H${x(t).toFixed(1)}V${y(v).toFixed(1)}` : `M${x(t).toFixed(1)},${y(v).toFixed(1)}`); });
    d += `H${x(t1).toFixed(1)}`;
    svg += `<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" data-series="${esc(id)}"/>`;
  });
  svg += `</svg>`;
  const legend = ids.map((id, i) => `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${esc(series[id].name)}${series[id].name !== id ? ` <span class="muted">${esc(id)}</span>` : ""}: ${fmt(series[id].pts[series[id].pts.length - 1][1], 3)}</span>`).join("");
  return svg + `<div class="legend">${legend}</div>`;
}

connect();
