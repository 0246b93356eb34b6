// Small SVG charts for the dashboard (no library, no CDN): horizontal bars (stacked or
// grouped), stacked columns and a line. Each draws into a container at its current width
// and scales with it; every mark carrying a value has class "datum" and a <title> tooltip.
"use strict";
window.Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;",
    ">": "&gt;", '"': "&quot;" })[c]);
  const num = (n) => Number(n).toLocaleString("en-US", { maximumFractionDigits: 1 });
  const short = (n) => Number(n).toLocaleString("en-US", { notation: "compact",
    maximumFractionDigits: 1 });  // axis ticks: "50M", not "50,000,000"
  const nice = (max) => {  // a round upper bound for the axis
    if (max <= 0) return 1;
    const step = 10 ** Math.floor(Math.log10(max));
    return [1, 2, 2.5, 5, 10].map((m) => m * step).find((v) => v >= max);
  };

  function svg(el, height, body) {
    const width = Math.max(260, Math.floor(el.clientWidth || 520));
    el.innerHTML = `<svg xmlns="${NS}" viewBox="0 0 ${width} ${height}" width="100%" ` +
      `height="${height}" role="img">${body(width)}</svg>`;
  }

  function empty(el, text) { el.innerHTML = `<p class="muted">${esc(text)}</p>`; }

  function legend(series) {
    return '<div class="legend muted">' + series.map((s) =>
      `<span style="background:${s.color}"></span>${esc(s.name)}`).join(" ") + "</div>";
  }

  function rect(x, y, w, h, color, tip) {
    return `<rect class="datum" x="${x}" y="${y}" width="${Math.max(0, w)}" height="${h}" ` +
      `fill="${color}"><title>${esc(tip)}</title></rect>`;
  }

  function text(x, y, s, anchor = "start", cls = "tick") {
    return `<text class="${cls}" x="${x}" y="${y}" text-anchor="${anchor}">${esc(s)}</text>`;
  }

  // rows: one bar per label; stacked: series add up along the bar, else side by side
  function hbars(el, { labels, series, stacked = true, max, unit = "", labelWidth = 110 }) {
    const totals = labels.map((_, i) => stacked
      ? series.reduce((a, s) => a + (s.values[i] || 0), 0)
      : Math.max(0, ...series.map((s) => s.values[i] || 0)));
    if (!labels.length || !totals.some((t) => t > 0)) return empty(el, "no data yet");
    const top = max ?? nice(Math.max(...totals));
    const band = stacked ? 18 : 6 * series.length + 4, gap = 7;
    svg(el, labels.length * (band + gap) + 4, (width) => {
      const x0 = labelWidth, span = width - x0 - 56;
      return labels.map((label, i) => {
        const y = 2 + i * (band + gap);
        let x = x0, marks = "";
        series.forEach((s, k) => {
          const v = s.values[i] || 0, w = span * v / top;
          const tip = `${label} · ${s.name}: ${num(v)}${unit}`;
          if (stacked) { marks += rect(x, y, w, band, s.color, tip); x += w; }
          else marks += rect(x0, y + 2 + k * 6, w, 5, s.color, tip);
        });
        return text(x0 - 6, y + band / 2 + 4, label, "end") + marks +
          text(x0 + span * totals[i] / top + 4, y + band / 2 + 4, num(totals[i]) + unit);
      }).join("");
    });
    el.insertAdjacentHTML("beforeend", legend(series));
  }

  // columns: one stacked column per label, labels along the bottom (every n-th shown)
  function columns(el, { labels, series, height = 190, unit = "" }) {
    const totals = labels.map((_, i) => series.reduce((a, s) => a + (s.values[i] || 0), 0));
    if (!totals.some((t) => t > 0)) return empty(el, "no data yet");
    const top = nice(Math.max(...totals)), every = Math.ceil(labels.length / 16);
    svg(el, height, (width) => {
      const x0 = 44, y0 = height - 18, span = width - x0 - 6, step = span / labels.length;
      let out = [0, 0.5, 1].map((f) => `<line class="grid" x1="${x0}" x2="${width - 6}" ` +
        `y1="${y0 - f * (y0 - 6)}" y2="${y0 - f * (y0 - 6)}"/>` +
        text(x0 - 4, y0 - f * (y0 - 6) + 4, short(top * f), "end")).join("");
      labels.forEach((label, i) => {
        let y = y0;
        for (const s of series) {
          const v = s.values[i] || 0, h = (y0 - 6) * v / top;
          if (v) out += rect(x0 + i * step + 1, y - h, step - 2, h, s.color,
            `${label} · ${s.name}: ${num(v)}${unit}`);
          y -= h;
        }
        if (i % every === 0) out += text(x0 + (i + 0.5) * step, height - 4, label, "middle");
      });
      return out;
    });
    el.insertAdjacentHTML("beforeend", legend(series));
  }

  // line: points [{x: Date, y: number|null}], gaps where y is null
  function line(el, { points, height = 150, unit = "", color = "#1b5fa8" }) {
    const known = points.filter((p) => p.y !== null && p.y !== undefined);
    if (!known.length) return empty(el, "no samples yet");
    const t0 = +points[0].x, t1 = Math.max(+points[points.length - 1].x, t0 + 1000);
    const top = nice(Math.max(...known.map((p) => p.y)));
    const time = (d) => d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit",
      second: "2-digit" });
    svg(el, height, (width) => {
      const x0 = 44, y0 = height - 18, sx = (t) => x0 + (width - x0 - 8) * (t - t0) / (t1 - t0);
      const sy = (v) => y0 - (y0 - 6) * v / top;
      const path = known.map((p, i) => `${i ? "L" : "M"}${sx(+p.x).toFixed(1)},` +
        `${sy(p.y).toFixed(1)}`).join("");
      return [0, 0.5, 1].map((f) => `<line class="grid" x1="${x0}" x2="${width - 8}" ` +
        `y1="${sy(top * f)}" y2="${sy(top * f)}"/>` + text(x0 - 4, sy(top * f) + 4,
        short(top * f), "end")).join("") +
        `<path class="datum" d="${path}" fill="none" stroke="${color}" stroke-width="2">` +
        `<title>latest: ${num(known[known.length - 1].y)}${unit}</title></path>` +
        known.map((p) => `<circle class="datum" cx="${sx(+p.x)}" cy="${sy(p.y)}" r="2.5" ` +
          `fill="${color}"><title>${time(p.x)}: ${num(p.y)}${unit}</title></circle>`).join("") +
        text(x0, height - 4, time(points[0].x)) +
        text(width - 8, height - 4, time(points[points.length - 1].x), "end");
    });
  }

  return { hbars, columns, line, empty };
})();
