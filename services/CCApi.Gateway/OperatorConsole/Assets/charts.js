// SVG charts with axes, units and tooltips, no library. Each point is focusable and carries a <title>, so the values
// are reachable by keyboard and screen reader as well as by pointer.

const SVG = "http://www.w3.org/2000/svg";

function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) element.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** 0, and 4–6 round steps up to at least max. */
export function niceTicks(max) {
  if (!(max > 0)) return [0, 1];
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough);
  const ticks = [];
  for (let value = 0; value < max + step * 0.999; value += step) ticks.push(Number(value.toPrecision(12)));
  return ticks;
}

/**
 * A chart of one series: kind "bar" or "line"; points [{label, value}]; format(value) → text with its unit;
 * title names the chart (its accessible name), unit names the y axis.
 */
export function chart({ kind = "bar", points, format = String, title, unit, height = 220 }) {
  const width = 640;
  const margin = { top: 12, right: 12, bottom: 42, left: 64 };
  const innerWidth = width - margin.left - margin.right;
  const innerHeight = height - margin.top - margin.bottom;
  const max = Math.max(0, ...points.map((p) => p.value ?? 0));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1] || 1;
  const y = (value) => margin.top + innerHeight - (innerHeight * (value ?? 0)) / top;
  const band = innerWidth / Math.max(points.length, 1);
  const x = (index) => margin.left + band * index + band / 2;

  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: `chart chart-${kind}`, role: "group", "aria-label": title });
  svg.append(s("title", {}, title));

  // y axis: grid lines and tick labels with the unit
  for (const tick of ticks) {
    svg.append(
      s("line", { x1: margin.left, x2: width - margin.right, y1: y(tick), y2: y(tick), class: "grid" }),
      s("text", { x: margin.left - 8, y: y(tick) + 4, "text-anchor": "end", class: "tick" }, format(tick)));
  }
  svg.append(s("text", { x: 12, y: margin.top + innerHeight / 2, class: "axis-label", transform: `rotate(-90 12 ${margin.top + innerHeight / 2})`, "text-anchor": "middle" }, unit));
  svg.append(s("line", { x1: margin.left, x2: width - margin.right, y1: y(0), y2: y(0), class: "axis" }));

  // x axis labels, thinned so they do not overlap
  const every = Math.max(1, Math.ceil(points.length / 8));
  const lastLabelled = points.length - 1 - ((points.length - 1) % every);
  points.forEach((point, index) => {
    // every `every`-th label, and the last one unless it would run into the previous label
    if (index % every === 0 || (index === points.length - 1 && index - lastLabelled >= every / 2)) {
      svg.append(s("text", { x: x(index), y: height - margin.bottom + 18, "text-anchor": "middle", class: "tick" }, point.label));
    }
  });

  if (kind === "line" && points.length > 1) {
    const path = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
    svg.append(s("path", { d: path, class: "line" }));
  }

  const tooltip = document.createElement("div");
  tooltip.className = "chart-tooltip";
  tooltip.hidden = true;
  tooltip.setAttribute("aria-hidden", "true");

  points.forEach((point, index) => {
    const text = `${point.label}: ${format(point.value ?? 0)}`;
    const mark = kind === "bar"
      ? s("rect", { x: x(index) - Math.max(1, band * 0.35), width: Math.max(2, band * 0.7), y: y(point.value), height: Math.max(0, y(0) - y(point.value)), class: "bar" })
      : s("circle", { cx: x(index), cy: y(point.value), r: points.length > 30 ? 2.5 : 4, class: "dot" });
    mark.setAttribute("tabindex", "0");
    mark.setAttribute("role", "img");
    mark.setAttribute("aria-label", text);
    mark.append(s("title", {}, text));
    const show = () => {
      tooltip.textContent = text;
      tooltip.hidden = false;
      tooltip.style.left = `${(x(index) / width) * 100}%`;
      tooltip.style.top = `${(y(point.value) / height) * 100}%`;
    };
    mark.addEventListener("mouseenter", show);
    mark.addEventListener("focus", show);
    mark.addEventListener("mouseleave", () => { tooltip.hidden = true; });
    mark.addEventListener("blur", () => { tooltip.hidden = true; });
    svg.append(mark);
  });

  const figure = document.createElement("figure");
  figure.className = "chart-figure";
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  figure.append(caption, svg, tooltip);
  if (points.length === 0) {
    const empty = document.createElement("p");
    empty.className = "chart-empty";
    empty.textContent = "No data in this range.";
    figure.append(empty);
  }
  return figure;
}
