// The dashboard's chart panels: what each asks the API for and how it is drawn (charts.js).
// Uses dashboard.js's api(), $ and fmt.
"use strict";
const STATUS_SERIES = [["approved", "approved", "#1f8a4c"], ["pending", "pending", "#8795a1"],
  ["revision_requested", "revision", "#c98a00"], ["rejected", "rejected", "#c0392b"],
  ["not_validated", "not validated in time", "#5d636b"]];
const CATEGORY_COLOURS = { "Sangat Baik": "#136f3e", "Baik": "#1f8a4c", "Cukup": "#c98a00",
  "Kurang": "#c0392b", "Buruk": "#7b241c" };
const RELATION_COLOURS = ["#1b5fa8", "#7a4fb0", "#1f8a8a", "#b0604f"];

async function loadCharts() {
  await Promise.all([loadDays(), loadCategories(), loadBacklog(), loadLag()]);
}

function unitQuery(sep) {
  const unit = $("unit").value;
  return unit ? `${sep}unit=${encodeURIComponent(unit)}` : "";
}

async function loadDays() {
  const period = $("period").value;
  const days = await api(`/v1/dashboard/minutes-by-day?period=${period}${unitQuery("&")}`);
  $("days-info").textContent = `${period}${$("unit").value ? " · " + $("unit").value : ""}, ` +
    "by work date";
  Charts.columns($("chart-days"), {
    labels: days.map((d) => String(Number(d.day.slice(8)))), unit: " min",
    series: STATUS_SERIES.map(([key, name, color]) => ({ name, color,
      values: days.map((d) => d[key]) })),
  });
}

async function loadCategories() {
  const period = $("period").value, chosen = $("unit").value;
  const rows = (await api(`/v1/dashboard/categories?period=${period}`))
    .filter((r) => !chosen || r.unit === chosen);
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.categories)))].sort((a, b) =>
    Object.keys(CATEGORY_COLOURS).indexOf(a) - Object.keys(CATEGORY_COLOURS).indexOf(b));
  $("cat-info").textContent = `${rows.length} unit${rows.length === 1 ? "" : "s"}, employees ` +
    "per category";
  Charts.hbars($("chart-categories"), {
    labels: rows.map((r) => r.unit), labelWidth: 90,
    series: names.map((name) => ({ name, color: CATEGORY_COLOURS[name] || "#8795a1",
      values: rows.map((r) => r.categories[name] || 0) })),
  });
}

async function loadBacklog() {
  const buckets = await api(`/v1/dashboard/backlog${unitQuery("?")}`);
  const waiting = buckets.reduce((a, b) => a + b.activities, 0);
  $("backlog-info").textContent = `${fmt(waiting)} activities waiting` +
    ($("unit").value ? " in " + $("unit").value : "");
  Charts.hbars($("chart-backlog"), {
    labels: buckets.map((b) => b.age), labelWidth: 100,
    series: [{ name: "activities waiting for their superior", color: "#8795a1",
      values: buckets.map((b) => b.activities) }],
  });
}

async function loadLag() {
  const lag = await api("/v1/dashboard/lag");
  const points = lag.samples.map((s) => ({ x: new Date(s.at), positions: s.positions,
    seconds: s.seconds }));
  const last = lag.samples[lag.samples.length - 1];
  $("lag-info").textContent = last ? `${fmt(lag.samples.length)} samples, one per ` +
    `${fmt(lag.every_s)} s; now ${fmt(last.positions)} records behind` : "";
  Charts.line($("chart-lag"), { points: points.map((p) => ({ x: p.x, y: p.positions })),
    unit: " records" });
  Charts.line($("chart-lag-s"), { points: points.map((p) => ({ x: p.x, y: p.seconds })),
    unit: " s", color: "#c98a00" });
}

function draw360(behaviour) {
  const el = $("chart-360");
  if (!behaviour) { $("b360-info").textContent = ""; Charts.empty(el, "no 360 reviews yet"); return; }
  const relations = Object.entries(behaviour.detail);
  const names = [...new Set(relations.flatMap(([, d]) => Object.keys(d.indicators)))];
  const hidden = Object.keys(behaviour.raters).length > relations.length;
  $("b360-info").textContent = "mean score per relation (raters)" +
    (hidden ? "; some relations hidden: fewer raters than the anonymity minimum" : "");
  Charts.hbars(el, {
    labels: names, stacked: false, max: 100, labelWidth: 100,
    series: relations.map(([relation, d], k) => ({ name: `${relation} (${d.raters})`,
      color: RELATION_COLOURS[k % RELATION_COLOURS.length],
      values: names.map((n) => d.indicators[n] ?? 0) })),
  });
}
