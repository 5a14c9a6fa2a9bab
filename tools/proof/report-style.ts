// The page's only stylesheet, inlined so report.html is one file that opens from file:// and
// from a CI artifact alike. System fonts only: a web font would be a network request.
export const REPORT_CSS = `
:root { --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; --soft:#f6f8fa; --pass:#1a7f37; --pass-bg:#dafbe1;
  --fail:#cf222e; --fail-bg:#ffebe9; --demo:#9a6700; --demo-bg:#fff8c5; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; color:var(--ink); background:#fff; }
main, .verdict-inner { max-width:1120px; margin:0 auto; padding:0 24px; }
h1 { font-size:28px; margin:4px 0 8px; line-height:1.2; }
h2 { font-size:21px; margin:36px 0 10px; padding-bottom:6px; border-bottom:1px solid var(--line); }
h3 { font-size:16px; margin:22px 0 8px; }
p { margin:6px 0; }
a { color:#0969da; }
code { font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; background:var(--soft); padding:1px 4px; border-radius:4px; }
.muted { color:var(--muted); }
.verdict { padding:28px 0 24px; border-bottom:4px solid; }
.verdict-pass { background:var(--pass-bg); border-color:var(--pass); }
.verdict-fail { background:var(--fail-bg); border-color:var(--fail); }
.verdict .kicker { font-size:13px; letter-spacing:.08em; text-transform:uppercase; color:var(--muted); }
.verdict-pass h1 { color:var(--pass); } .verdict-fail h1 { color:var(--fail); }
.verdict .meta { font-size:13px; color:var(--muted); margin-top:10px; }
.reading { background:var(--soft); border:1px solid var(--line); border-radius:8px; padding:12px 18px; margin-top:24px; }
.reading ul { margin:6px 0; padding-left:20px; }
.table-wrap { overflow-x:auto; }
table { border-collapse:collapse; width:100%; font-size:14px; }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
thead th { background:var(--soft); font-weight:600; }
td { font-variant-numeric:tabular-nums; }
.summary tbody th { font-weight:500; width:28%; }
.summary tr.group th { background:#fff; font-size:12px; letter-spacing:.06em; text-transform:uppercase; color:var(--muted); padding-top:14px; }
.summary tr.result td, .summary tr.result th { border-top:2px solid var(--line); }
.hint { font-size:12px; color:var(--muted); font-weight:400; }
td.bad, tr.bad td { color:var(--fail); font-weight:600; }
.badge { display:inline-block; font-size:12px; font-weight:700; letter-spacing:.04em; padding:1px 8px; border-radius:10px; white-space:nowrap; }
.badge-pass { color:var(--pass); background:var(--pass-bg); }
.badge-fail { color:var(--fail); background:var(--fail-bg); }
.badge-demo { color:var(--demo); background:var(--demo-bg); }
.run { margin-top:12px; }
.run h2 .badge { vertical-align:middle; margin-left:8px; font-size:13px; }
.run h2 .muted { font-size:14px; font-weight:400; }
.run-intro { color:var(--muted); max-width:80ch; }
.chart-figure { margin:18px 0 6px; }
.chart-figure figcaption { font-weight:600; font-size:14px; margin-bottom:2px; }
svg.chart { width:100%; height:auto; display:block; }
svg.chart text { font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif; fill:var(--muted); }
svg.chart .axis-title { font-size:12px; fill:var(--ink); }
svg.chart .axis { stroke:#8c959f; stroke-width:1; }
svg.chart .grid { stroke:#eaeef2; stroke-width:1; }
svg.chart .kill-line { stroke:#24292f; stroke-width:1.5; stroke-dasharray:5 3; }
svg.chart .kill-guide .kill-line { stroke:#57606a; stroke-width:1; }
svg.chart .kill-label { fill:var(--ink); font-weight:600; paint-order:stroke; stroke:#fff; stroke-width:3px; }
svg.chart .series-line { fill:none; stroke-width:2; stroke-linejoin:round; }
svg.chart .no-data { font-size:13px; fill:var(--muted); paint-order:stroke; stroke:#fff; stroke-width:6px; }
.legend { list-style:none; display:flex; flex-wrap:wrap; gap:4px 18px; padding:0; margin:4px 0 0 64px; font-size:13px; }
.swatch { display:inline-block; width:12px; height:12px; border-radius:2px; background:var(--c); margin-right:6px; vertical-align:-1px; }
.swatch-line { height:3px; width:18px; vertical-align:3px; }
.checks td:first-child { width:40%; }
.checks td:last-child { white-space:nowrap; }
.anomalies { list-style:none; padding:0; margin:0; font-size:14px; }
.anomalies li { padding:6px 0; border-bottom:1px solid var(--line); }
.tag { display:inline-block; font-size:11px; font-weight:700; text-transform:uppercase; padding:0 6px; border-radius:4px; color:var(--fail); background:var(--fail-bg); }
.comparison td, .comparison th { width:33%; }
footer { max-width:1120px; margin:40px auto 24px; padding:0 24px; font-size:12px; color:var(--muted); }
`;
