// Markdown tables, so what the terminal shows can be pasted into a README unchanged.

/** `rows` are arrays of cells; `align` is a string of "l"/"r" per column (default all left). */
export function markdownTable(header, rows, align = "") {
  const cells = [header, ...rows].map((r) => r.map((c) => (c === null || c === undefined ? "" : String(c))));
  const widths = header.map((_, i) => Math.max(3, ...cells.map((r) => r[i].length)));
  const pad = (text, i) => (align[i] === "r" ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const line = (r) => `| ${r.map(pad).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (align[i] === "r" ? "-".repeat(w - 1) + ":" : "-".repeat(w))).join(" | ")} |`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join("\n");
}
