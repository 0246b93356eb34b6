"use strict";
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const state = { offset: 0, limit: 50, people: {} };
if (params.get("token")) localStorage.setItem("erk-token", params.get("token"));
$("token").value = localStorage.getItem("erk-token") || "";
const fmt = (n) => (n === null || n === undefined) ? "–" : Number(n).toLocaleString("en-US",
  { maximumFractionDigits: 1 });
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;",
  ">": "&gt;", '"': "&quot;" })[c]);
const cat = (c) => c ? `<span class="cat cat-${esc(c).replace(/ /g, "")}">${esc(c)}</span>` : "–";

async function api(path) {
  const res = await fetch(path, { headers: { Authorization: "Bearer " + $("token").value.trim() } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((body.error && body.error.message) || res.statusText);
  return body;
}
function fail(err) { $("message").textContent = err.message || String(err); }
function ok() { $("message").textContent = ""; }

function bar(m) {
  const parts = [["approved", m.approved], ["pending", m.pending],
                 ["revision", m.revision_requested ?? m.revision], ["rejected", m.rejected],
                 ["notval", m.not_validated]];
  const total = parts.reduce((a, [, v]) => a + (v || 0), 0) || 1;
  return `<div class="bar" title="${parts.map(([k, v]) => k + " " + fmt(v)).join(", ")}">` +
    parts.map(([k, v]) => `<span class="b-${k}" style="width:${100 * (v || 0) / total}%"></span>`)
      .join("") + "</div>";
}

async function loadPeriods() {
  const periods = await api("/v1/dashboard/periods");
  const now = new Date().toISOString().slice(0, 7);
  const list = periods.length ? periods : [{ period: now, closed: false }];
  $("period").innerHTML = list.map((p) => `<option value="${p.period}">${p.period}` +
    `${p.closed ? " (closed)" : ""}</option>`).join("");
  if (params.get("period")) $("period").value = params.get("period");
  const units = await api("/v1/dashboard/units");
  state.units = units;
  $("unit").innerHTML = '<option value="">all units</option>' + units.map((u) =>
    `<option value="${esc(u.unit)}">${esc(u.unit)} (${u.employees})</option>`).join("");
}

async function loadPeople() {
  const unit = $("unit").value;
  const q = unit ? "?unit=" + encodeURIComponent(unit) + "&limit=5000" : "?limit=5000";
  const people = await api("/v1/dashboard/people" + q);
  for (const p of people) state.people[p.nip] = p;
  const heads = people.filter((p) => p.structural);
  const keep = $("superior").value;
  $("superior").innerHTML = heads.map((p) => `<option value="${p.nip}">${esc(p.name)} – ` +
    `${esc(p.position)}</option>`).join("");
  if (keep && heads.some((h) => h.nip === keep)) $("superior").value = keep;
}

async function loadEligibility() {
  const period = $("period").value, unit = $("unit").value;
  const q = `?offset=${state.offset}&limit=${state.limit}` +
    (unit ? "&unit=" + encodeURIComponent(unit) : "");
  const page = await api(`/v1/periods/${period}/eligibility${q}`);
  state.total = page.total;
  const paced = page.items.find((r) => r.pace);
  $("el-info").textContent = (page.total ? `${state.offset + 1}–${state.offset +
    page.items.length} of ${fmt(page.total)}` : "no rows yet") + (paced ? ` · pace: working ` +
    `day ${paced.pace.working_days_elapsed} of ${paced.pace.working_days_total}` : "");
  $("el-table").innerHTML = "<tr><th>Employee</th><th class=num>Approved / target</th>" +
    "<th class=num>Results %</th><th class=num>360</th><th>Score</th>" +
    "<th class=num>Allowance</th>" +
    (paced ? '<th title="approved minutes against the month-to-date target">At pace</th>' : "") +
    "</tr>" + page.items.map((r) => {
      const who = state.people[r.nip];
      return `<tr class="click" data-nip="${r.nip}"><td>${who ? esc(who.name) + "<br>" : ""}` +
        `<span class=muted>${r.nip} · ${esc(r.unit)}</span></td>` +
        `<td class=num>${fmt(r.approved_minutes)}<br><span class=muted>/ ` +
        `${fmt(r.target_minutes)}</span></td>` +
        `<td class=num>${fmt(r.results_pct)}</td><td class=num>${fmt(r.behaviour_score)}</td>` +
        `<td>${fmt(r.score)} ${cat(r.category)}</td><td class=num>${fmt(r.allowance_pct)}%` +
        `<br><span class=muted>${esc(r.state)}</span></td>` +
        (paced ? `<td>${pace(r.pace, true)}</td>` : "") + "</tr>";
    }).join("");
  for (const tr of $("el-table").querySelectorAll("tr.click"))
    tr.onclick = () => { $("nip").value = tr.dataset.nip; loadEmployee().catch(fail); };
}

function pace(p, short) {
  if (!p) return "–";
  if (p.pct_of_target_to_date === null) return '<span class="muted">no working day yet</span>';
  const detail = `${fmt(p.pct_of_target_to_date)}% of ${fmt(p.target_to_date)} min to date, ` +
    `score ${fmt(p.score_at_pace)}`;
  return `${cat(p.category_at_pace)} <span class="muted" title="${detail}">` +
    (short ? `${fmt(p.pct_of_target_to_date)}%` : detail) + "</span>";
}

async function loadUnits() {
  const period = $("period").value, chosen = $("unit").value;
  const units = (state.units || []).filter((u) => !chosen || u.unit === chosen).slice(0, 40);
  const rows = await Promise.all(units.map((u) =>
    api(`/v1/units/${encodeURIComponent(u.unit)}/months/${period}`).then((r) => [u, r])));
  $("unit-info").textContent = `${units.length} of ${(state.units || []).length}`;
  $("unit-table").innerHTML = "<tr><th>Unit</th><th class=num>Staff</th>" +
    "<th class=num>Reporting</th><th>Minutes</th><th class=num>Approved</th>" +
    "<th>Categories</th></tr>" + rows.map(([u, r]) =>
      `<tr class="click" data-unit="${esc(u.unit)}"><td>${esc(u.unit)}</td>` +
      `<td class=num>${u.employees}</td><td class=num>${r.employees_reporting}</td>` +
      `<td>${bar(r.minutes)}</td><td class=num>${fmt(r.minutes.approved)}</td><td>` +
      Object.entries(r.categories).map(([c, n]) => `${cat(c)} ${n}`).join(" ") + "</td></tr>"
    ).join("");
  for (const tr of $("unit-table").querySelectorAll("tr.click"))
    tr.onclick = () => { $("unit").value = tr.dataset.unit; refreshAll().catch(fail); };
}

async function loadQueue() {
  const nip = $("superior").value;
  if (!nip) { $("q-table").innerHTML = ""; $("q-info").textContent = "no superior"; return; }
  const items = await api(`/v1/superiors/${nip}/pending?limit=200`);
  $("q-info").textContent = `${items.length}${items.length === 200 ? "+" : ""} waiting`;
  $("q-table").innerHTML = "<tr><th>Employee</th><th>Work date</th><th class=num>Min</th>" +
    "<th>Activity</th><th>Source</th><th class=num>Age (h)</th></tr>" + items.map((a) => {
      const who = state.people[a.nip];
      return `<tr><td>${who ? esc(who.name) : a.nip}</td><td>${a.work_date}</td>` +
        `<td class=num>${a.minutes}</td><td>${esc(a.description)}</td><td>${esc(a.source)}</td>` +
        `<td class=num>${fmt(a.age_hours)}</td></tr>`;
    }).join("");
}

async function loadEmployee() {
  const nip = $("nip").value.trim();
  if (!nip) return;
  const m = await api(`/v1/employees/${nip}/months/${$("period").value}`);
  const who = state.people[nip];
  $("emp-info").textContent = who ? `${who.name} · ${who.position} · ${who.unit} · ` +
    `${who.employment_type}, class ${who.job_class}` : nip;
  let html = "";
  if (m.minutes) {
    const mm = m.minutes;
    html += `<div class="row">${bar({ approved: mm.approved_minutes, pending: mm.pending_minutes,
      revision: mm.revision_minutes, rejected: mm.rejected_minutes,
      not_validated: mm.not_validated_minutes })}</div><div class="kv">` +
      `<div>activities</div><div>${fmt(mm.activities)}</div>` +
      `<div>approved</div><div>${fmt(mm.approved_minutes)} min</div>` +
      `<div>pending</div><div>${fmt(mm.pending_minutes)} min</div>` +
      `<div>revision requested</div><div>${fmt(mm.revision_minutes)} min</div>` +
      `<div>rejected</div><div>${fmt(mm.rejected_minutes)} min</div>` +
      `<div>not validated in time</div><div>${fmt(mm.not_validated_minutes)} min</div></div>`;
  } else html += '<p class="muted">no activities this month</p>';
  const b = m.behaviour;
  html += b ? `<h3>360: ${fmt(b.score)} ${cat(b.category)} <small class=muted>raters ` +
    `${Object.entries(b.raters).map(([k, v]) => k + " " + v).join(", ")}</small></h3>`
    : '<p class="muted">no 360 reviews yet</p>';
  draw360(b);
  const e = m.eligibility;
  if (e) {
    html += `<h3>Eligibility: ${cat(e.category)} → ` +
      `${fmt(e.allowance_pct)}% <small class=muted>${esc(e.state)}, policy ` +
      `${esc(e.policy_version)}</small></h3>` + (e.pace ? `<p>At pace (working day ` +
      `${e.pace.working_days_elapsed} of ${e.pace.working_days_total}): ${pace(e.pace)}</p>` :
      "") + '<ul class="reasons">' +
      (e.reasons || []).map((r) => `<li>${esc(r)}</li>`).join("") + "</ul>";
  }
  $("emp").innerHTML = html;
}

async function loadLive() {
  try {
    const health = await fetch("/health").then((r) => r.json());
    $("m-status").textContent = health.consumer ? health.consumer.status +
      ` (${(health.consumer.assigned_partitions || []).length} partitions)` : health.status;
  } catch (e) { $("m-status").textContent = "unreachable"; }
  try {
    const text = await fetch("/metrics").then((r) => r.text());
    const sum = (name) => text.split("\n").filter((l) => l.startsWith(name) && !l.startsWith("#"))
      .reduce((a, l) => a + Number(l.trim().split(/\s+/).pop()), 0);
    const max = (name) => text.split("\n").filter((l) => l.startsWith(name))
      .reduce((a, l) => Math.max(a, Number(l.trim().split(/\s+/).pop())), 0);
    $("m-applied").textContent = fmt(sum("erk_events_applied_total"));
    $("m-lag").textContent = fmt(sum("erk_consumer_lag_positions")) + " events";
    $("m-age").textContent = fmt(max("erk_consumer_lag_seconds")) + " s";
    $("m-dlq").textContent = fmt(sum("erk_dead_letters_total"));
  } catch (e) { /* metrics are optional */ }
}

async function refreshAll() {
  localStorage.setItem("erk-token", $("token").value.trim());
  await loadPeople();
  await Promise.all([loadEligibility(), loadUnits(), loadQueue(), loadEmployee(),
    loadCharts()]);
  ok();
}

async function start() {
  loadLive(); setInterval(loadLive, 5000);
  setInterval(() => { if ($("token").value) loadLag().catch(fail); }, 5000);
  if (!$("token").value) { fail(new Error("paste a dashboard token (erk-intake token " +
    "dash --role dashboard) or open this page with ?token=...")); return; }
  try {
    await loadPeriods(); await loadPeople();
    if (params.get("nip")) $("nip").value = params.get("nip");
    else if (!$("nip").value) {
      const staff = Object.values(state.people).find((p) => !p.structural);
      if (staff) $("nip").value = staff.nip;
    }
    await refreshAll();
  } catch (e) { fail(e); }
  setInterval(() => refreshAll().catch(fail), 15000);
}
$("token").onchange = () => start();
$("period").onchange = () => { state.offset = 0; refreshAll().catch(fail); };
$("unit").onchange = () => { state.offset = 0; refreshAll().catch(fail); };
$("superior").onchange = () => loadQueue().catch(fail);
$("emp-go").onclick = () => loadEmployee().catch(fail);
$("el-prev").onclick = () => { state.offset = Math.max(0, state.offset - state.limit);
  loadEligibility().catch(fail); };
$("el-next").onclick = () => { if (state.offset + state.limit < (state.total || 0)) {
  state.offset += state.limit; loadEligibility().catch(fail); } };
start();
