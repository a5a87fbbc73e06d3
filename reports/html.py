"""HTML: the org-wide compliance report, one self-contained file.

No external scripts, styles, fonts or images: it opens offline from a file
or a CI artifact. It shows the verdict and totals, a repositories × rules
matrix (a text mark and a count besides the colour, so it reads without
colour), the shared-file drift table, and per repository its findings
(file:line, message, the source line) and its release pipelines as inline SVG
job graphs with roles coloured (a layered layout computed here) and each
job's tooltip saying why it plays its roles.

Everything comes from the ``Report`` — for org scans from the data the JSON
report keeps in ``summary`` (``auditor.org``), so ``auditor merge`` of shard
reports renders the same page as one unsharded run. Every string that comes
from a repository goes through ``_e`` (HTML escaping, quotes included); the
only markup is written here. A few lines of inline JavaScript sort and
filter the matrix; without it the page is complete, just static.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence

from auditor.findings import MARKUP_ESCAPES, SEVERITY_RANK, Finding, no_commands_text, printable
from auditor.reports.model import Report
from auditor.reports.source import SourceLines
from auditor.rule_docs import rule_doc_url
from auditor.summary import RepoSummary

ROLE_COLOURS = {"publish": "#1f6fb4", "promote": "#c2571a", "verify": "#2a8a2a"}
ROLE_ORDER = ("promote", "publish", "verify")
SEV_MARK = {"error": "✗", "warning": "!", "note": "i"}
MAX_GRAPH_JOBS = 80
MAX_LABEL = 28

_CSS = """
:root{--bg:#fff;--fg:#1b1f24;--muted:#5c6670;--line:#d8dde3;--ok:#e3f4e3;--okfg:#195c19;
--error:#fbe0de;--errorfg:#8a1c12;--warning:#fff1cc;--warningfg:#6b4a00;--note:#e4eefb;
--notefg:#1d4a80;}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
background:var(--bg);margin:0;padding:0 24px 48px}
header{padding:20px 0 8px;border-bottom:1px solid var(--line);margin-bottom:16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}
h3{font-size:15px;margin:18px 0 6px}
.muted{color:var(--muted)}
.verdict{display:inline-block;font-weight:700;padding:4px 12px;border-radius:4px;margin:6px 0}
.verdict.pass{background:var(--ok);color:var(--okfg)}
.verdict.fail{background:var(--error);color:var(--errorfg)}
.totals{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.totals div{border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:110px}
.totals b{display:block;font-size:20px}
table{border-collapse:collapse;margin:6px 0 12px}
th,td{border:1px solid var(--line);padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f5f7;font-weight:600}
table.matrix th.rule{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;
font-weight:500;font-size:12px;padding:6px 3px}
table.matrix td.c{text-align:center;white-space:nowrap;font-variant-numeric:tabular-nums}
th[data-sort]{cursor:pointer}
.pass{background:var(--ok);color:var(--okfg)}
.sev-error{background:var(--error);color:var(--errorfg)}
.sev-warning{background:var(--warning);color:var(--warningfg)}
.sev-note{background:var(--note);color:var(--notefg)}
.repo{border-top:2px solid var(--line);margin-top:26px}
.findings td.msg{white-space:pre-wrap;max-width:70em}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre.src{margin:2px 0 0;padding:3px 6px;background:#f6f8fa;border-left:3px solid var(--line);
white-space:pre-wrap;word-break:break-all}
.graph{overflow-x:auto;border:1px solid var(--line);border-radius:6px;padding:6px;margin:6px 0}
.legend span{display:inline-block;padding:1px 8px;margin-right:6px;border-radius:3px;color:#fff}
.controls{margin:8px 0}.controls input[type=search]{padding:4px 8px;width:22em}
.err{color:var(--errorfg)}
"""

_JS = """
(function(){
  var table=document.getElementById('matrix');
  if(!table||!table.tBodies.length){return;}
  var body=table.tBodies[0];
  var filter=document.getElementById('repo-filter');
  var failing=document.getElementById('only-failing');
  function apply(){
    var q=(filter&&filter.value||'').toLowerCase();
    var only=failing&&failing.checked;
    var rows=body.rows;
    for(var i=0;i<rows.length;i++){
      var r=rows[i];
      var name=(r.getAttribute('data-repo')||'').toLowerCase();
      var bad=r.getAttribute('data-failing')==='1';
      r.hidden=(q&&name.indexOf(q)<0)||(only&&!bad);
    }
  }
  if(filter){filter.addEventListener('input',apply);}
  if(failing){failing.addEventListener('change',apply);}
  var heads=table.tHead?table.tHead.rows[0].cells:[];
  for(var c=0;c<heads.length;c++){
    (function(index,th){
      if(!th.hasAttribute('data-sort')){return;}
      th.addEventListener('click',function(){
        var asc=th.getAttribute('data-dir')!=='asc';
        th.setAttribute('data-dir',asc?'asc':'desc');
        var rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(a,b){
          var x=a.cells[index].getAttribute('data-v')||a.cells[index].textContent;
          var y=b.cells[index].getAttribute('data-v')||b.cells[index].textContent;
          var nx=parseFloat(x),ny=parseFloat(y);
          var d=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);
          return asc?d:-d;
        });
        rows.forEach(function(r){body.appendChild(r);});
      });
    })(c,heads[c]);
  }
})();
"""


def _e(value: object) -> str:
    """Escape anything for HTML text and attribute values: markup, and control
    characters made visible (``printable``); a line break becomes a character
    reference, so repository text never starts a line of the file (CI logs print
    reports, and a runner reads ``::…`` at a line start as a workflow command)."""
    return html.escape(printable(str(value)), quote=True).replace("\n", "&#10;")


def _slug(name: str, taken: dict[str, str]) -> str:
    """A stable, unique, safe id for a repository's section."""
    if name in taken:
        return taken[name]
    base = "repo-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "x")
    candidate, n = base, 1
    used = set(taken.values())
    while candidate in used:
        n += 1
        candidate = f"{base}-{n}"
    taken[name] = candidate
    return candidate


def _primary_role(roles: Iterable[str]) -> str | None:
    have = set(roles)
    return next((r for r in ROLE_ORDER if r in have), None)


def _worst(findings: Iterable[Finding]) -> str | None:
    best: str | None = None
    for f in findings:
        if best is None or SEVERITY_RANK.get(f.severity, 0) > SEVERITY_RANK.get(best, 0):
            best = f.severity
    return best


# --- job graph layout ------------------------------------------------------------------


def layout(needs: Mapping[str, Sequence[str]]) -> tuple[dict[str, int], list[list[str]]]:
    """Layers by longest path from the roots (cycle-safe), ordered by predecessor barycentre."""
    jobs = list(needs)
    preds = {j: [p for p in needs[j] if p in needs and p != j] for j in jobs}
    layer: dict[str, int] = {}
    state: dict[str, int] = {}
    for start in jobs:
        if start in layer:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        state[start] = 1
        while stack:
            node, index = stack[-1]
            ps = preds[node]
            if index < len(ps):
                stack[-1] = (node, index + 1)
                p = ps[index]
                if state.get(p, 0) == 0:
                    state[p] = 1
                    stack.append((p, 0))
                continue
            # an in-progress predecessor closes a cycle: ignore that edge
            done = [layer[p] for p in ps if p in layer]
            layer[node] = 1 + max(done) if done else 0
            state[node] = 2
            stack.pop()
    layers: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for j in jobs:
        layers[layer[j]].append(j)
    position: dict[str, float] = {}
    for depth, members in enumerate(layers):
        if depth:
            order = {j: i for i, j in enumerate(members)}

            def bary(j: str, order: dict[str, int] = order) -> tuple[float, int]:
                ps = [position[p] for p in preds[j] if p in position]
                return (sum(ps) / len(ps) if ps else float(order[j]), order[j])

            members.sort(key=bary)
        for i, j in enumerate(members):
            position[j] = float(i)
    return layer, layers


def _label(job: str) -> str:
    return job if len(job) <= MAX_LABEL else job[: MAX_LABEL - 1] + "…"


def svg_graph(
    needs: Mapping[str, Sequence[str]], roles: Mapping[str, Sequence[str]], title: str,
    gid: str = "g", reasons: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """The job graph as inline SVG: boxes left to right by layer, roles as colour and text;
    a job's tooltip says why it plays each role (``reasons``: job → role → why)."""
    if not needs:
        return '<p class="muted">no jobs</p>'
    shown = dict(list(needs.items())[:MAX_GRAPH_JOBS])
    layer, layers = layout(shown)
    node_h, gap_y, gap_x, pad = 40, 14, 56, 10
    widths = {j: 18 + int(7.6 * max(len(_label(j)), len(" · ".join(roles.get(j, [])))))
              for j in shown}  # fmt: skip
    col_w = [max((widths[j] for j in members), default=80) for members in layers]
    xs: list[int] = []
    x = pad
    for w in col_w:
        xs.append(x)
        x += w + gap_x
    width = max(x - gap_x + pad, 120)
    height = pad * 2 + max(len(m) for m in layers) * (node_h + gap_y) - gap_y
    pos: dict[str, tuple[int, int]] = {}
    for depth, members in enumerate(layers):
        for i, j in enumerate(members):
            pos[j] = (xs[depth], pad + i * (node_h + gap_y))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{_e(title)}</title>',
        f'<defs><marker id="{gid}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#6b7580"/>'
        "</marker></defs>",
    ]
    for job, ps in shown.items():
        for p in ps:
            if p not in pos or p == job:
                continue
            x1, y1 = pos[p][0] + widths[p], pos[p][1] + node_h // 2
            x2, y2 = pos[job][0], pos[job][1] + node_h // 2
            back = layer[p] >= layer[job]
            mid = (x1 + x2) / 2
            dash = ' stroke-dasharray="4 3"' if back else ""
            parts.append(
                f'<path d="M{x1},{y1} C{mid:.0f},{y1} {mid:.0f},{y2} {x2},{y2}" fill="none" '
                f'stroke="#6b7580" stroke-width="1.3"{dash} marker-end="url(#{gid}-arrow)"/>'
            )
    for job in shown:
        x0, y0 = pos[job]
        job_roles = sorted(roles.get(job, []))
        role = _primary_role(job_roles)
        fill = ROLE_COLOURS[role] if role else "#ffffff"
        ink = "#ffffff" if role else "#1b1f24"
        why = (reasons or {}).get(job, {})
        because = "".join(f"\n{role}: {why[role]}" for role in job_roles if why.get(role))
        parts.append(
            f'<g class="job"><title>{_e(job)}'
            f'{_e(" — " + ", ".join(job_roles)) if job_roles else ""}{_e(because)}</title>'
            f'<rect x="{x0}" y="{y0}" width="{widths[job]}" height="{node_h}" rx="5" '
            f'fill="{fill}" stroke="#4a535c"/>'
            f'<text x="{x0 + 8}" y="{y0 + 17}" fill="{ink}" font-size="12" '
            f'font-family="ui-monospace,monospace">{_e(_label(job))}</text>'
        )
        if job_roles:
            parts.append(
                f'<text x="{x0 + 8}" y="{y0 + 32}" fill="{ink}" font-size="11" '
                f'font-family="system-ui,sans-serif">{_e(" · ".join(job_roles))}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    extra = len(needs) - len(shown)
    more = f'<p class="muted">{extra} more jobs not drawn</p>' if extra > 0 else ""
    return '<div class="graph">' + "".join(parts) + "</div>" + more


# --- page sections -------------------------------------------------------------------------


def _repo_name(repo: RepoSummary) -> str:
    return repo.name


def _group(report: Report, repos: Sequence[RepoSummary]) -> dict[str, list[Finding]]:
    """Findings per repository: by ``repo`` (org scans), else by the root their displayed
    path starts with (``auditor check`` of several repositories)."""
    by: dict[str, list[Finding]] = {_repo_name(r): [] for r in repos}
    roots = sorted(
        ((r.root.rstrip("/") + "/", _repo_name(r)) for r in repos),
        key=lambda item: -len(item[0]),
    )
    for f in report.findings:
        name = f.repo
        if name is None:
            shown = report.display_path(f)
            name = next((n for root, n in roots if root != "/" and shown.startswith(root)),
                        _repo_name(repos[0]))  # fmt: skip
        by.setdefault(name, []).append(f)
    return by


def _failing(findings: Iterable[Finding], fail_on: str) -> bool:
    threshold = SEVERITY_RANK.get(fail_on, 3)
    return any(SEVERITY_RANK.get(f.severity, 0) >= threshold for f in findings)


def _header(report: Report, names: list[str], by: dict[str, list[Finding]]) -> str:
    counts = report.counts()
    failing = [n for n in names if _failing(by.get(n, []), report.fail_on)]
    verdict = "FAIL" if failing else "PASS"
    cls = "fail" if failing else "pass"
    what = (
        f"{len(failing)} of {len(names)} repositories have findings at or above "
        f"{_e(report.fail_on)}" if failing else
        f"no repository has a finding at or above {_e(report.fail_on)}"
    )  # fmt: skip
    tiles = [
        ("repositories", len(names)), ("failing", len(failing)), ("files", report.files),
        ("errors", counts["error"]), ("warnings", counts["warning"]), ("notes", counts["note"]),
        ("suppressed", report.suppressed),
    ]  # fmt: skip
    return (
        "<header><h1>Release pipeline compliance</h1>"
        f'<div class="muted">auditor {_e(report.tool_version)}</div>'
        f'<div class="verdict {cls}" id="verdict">{"✗" if failing else "✓"} {verdict}</div> '
        f"<span>{what}</span>"
        '<div class="totals">'
        + "".join(f"<div><b>{v}</b>{_e(k)}</div>" for k, v in tiles)
        + "</div></header>"
    )


def _matrix(
    report: Report, repos: Sequence[RepoSummary], by: dict[str, list[Finding]],
    anchors: dict[str, str],
) -> str:  # fmt: skip
    org_checked = report.org.checked_rules if report.org is not None else ()
    checked = list(org_checked) or [r.id for r in report.checked()]
    fired = sorted({f.rule for f in report.findings})
    columns = fired
    quiet = [r for r in checked if r not in fired]
    head = (
        '<th data-sort="1">repository</th><th data-sort="1">status</th>'
        '<th data-sort="1">findings</th>'
        + "".join(f'<th class="rule" data-sort="1" title="{_e(r)}">{_e(r)}</th>' for r in columns)
    )
    rows = []
    for repo in repos:
        name = _repo_name(repo)
        mine = by.get(name, [])
        bad = _failing(mine, report.fail_on)
        error = repo.error
        if error:
            status = '<td class="sev-error" data-v="3">✗ not scanned</td>'
        elif bad:
            status = '<td class="sev-error" data-v="2">✗ fail</td>'
        elif mine:
            status = '<td class="sev-warning" data-v="1">! findings</td>'
        else:
            status = '<td class="pass" data-v="0">✓ pass</td>'
        cells = []
        for rule in columns:
            hits = [f for f in mine if f.rule == rule]
            if hits:
                sev = _worst(hits) or "note"
                cells.append(
                    f'<td class="c sev-{sev}" data-v="{len(hits)}" '
                    f'title="{_e(rule)}: {len(hits)} {sev}">{SEV_MARK[sev]} {len(hits)}</td>'
                )
            else:
                cells.append(f'<td class="c pass" data-v="0" title="{_e(rule)}: pass">✓</td>')
        rows.append(
            f'<tr data-repo="{_e(name)}" data-failing="{1 if bad or error else 0}">'
            f'<td data-v="{_e(name)}"><a href="#{anchors[name]}">{_e(name)}</a></td>{status}'
            f'<td class="c" data-v="{len(mine)}">{len(mine)}</td>{"".join(cells)}</tr>'
        )
    note = (
        f'<p class="muted">{len(quiet)} other checked rule(s) pass in every repository: '
        f"{_e(', '.join(quiet))}.</p>" if quiet else ""
    )  # fmt: skip
    legend = (
        '<p class="muted">✓ pass · ✗ N errors · ! N warnings · i N notes (the count is the '
        "number of findings of that rule in that repository; the mark is the worst "
        "severity).</p>"
    )
    controls = (
        '<div class="controls"><label>Filter repositories <input type="search" '
        'id="repo-filter" placeholder="name…"></label> <label><input type="checkbox" '
        'id="only-failing"> only failing</label></div>'
    )
    return (
        '<section id="matrix-section"><h2>Repositories × rules</h2>' + controls + legend
        + '<table class="matrix" id="matrix"><thead><tr>' + head + "</tr></thead><tbody>"
        + "".join(rows) + "</tbody></table>" + note + "</section>"
    )  # fmt: skip


def _drift(report: Report, repos: Sequence[RepoSummary]) -> str:
    entries = report.org.shared_files if report.org is not None else ()
    if not entries:
        return ""
    drift = {(f.repo, f.path): f for f in report.findings if f.rule == "shared-file-drift"}
    out = ['<section id="drift"><h2>Shared-file drift</h2>']
    for entry in entries:
        path = entry.path
        out.append(
            f"<h3><code>{_e(path)}</code> <span class=\"muted\">repositories: "
            f"{_e(', '.join(entry.repos or ['*']))}</span></h3>"
        )
        out.append("<table><thead><tr><th>repository</th><th>state</th><th>sha256</th>"
                   "</tr></thead><tbody>")  # fmt: skip
        for repo in repos:
            name = _repo_name(repo)
            info = repo.shared_files.get(path)
            if info is None:
                continue
            finding = drift.get((name, path))
            digest = info.sha256
            if finding is None and digest is None:
                continue  # not in this file's group
            if finding is None:
                state = '<td class="pass">✓ canonical</td>'
            elif digest is None:
                state = '<td class="sev-error">✗ missing</td>'
            else:
                state = '<td class="sev-error">✗ differs</td>'
            short = _e(digest[:12]) if digest else "—"
            out.append(f"<tr><td>{_e(name)}</td>{state}<td><code>{short}</code></td></tr>")
        out.append("</tbody></table>")
    out.append("</section>")
    return "".join(out)


def _findings_table(report: Report, findings: Sequence[Finding], sources: SourceLines) -> str:
    if not findings:
        return '<p class="pass" style="display:inline-block;padding:2px 8px">✓ no findings</p>'
    rows = []
    for f in findings:
        excerpt = sources.excerpt(f)  # bounded: never the whole line once per finding
        src = f'<pre class="src">{_e(excerpt.text)}</pre>' if excerpt is not None else ""
        rows.append(
            f'<tr><td class="sev-{_e(f.severity)}">{SEV_MARK.get(f.severity, "")} '
            f'{_e(f.severity)}</td><td><a href="{_e(rule_doc_url(f.rule))}"><code>{_e(f.rule)}</code></a></td>'
            f"<td><code>{_e(f.path)}:{f.line}</code>"
            f"{'<br>job <code>' + _e(f.job) + '</code>' if f.job else ''}</td>"
            f'<td class="msg">{_e(f.message)}{src}</td></tr>'
        )
    return (
        '<table class="findings"><thead><tr><th>severity</th><th>rule</th><th>where</th>'
        "<th>message</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _pipelines(repo: RepoSummary, anchor: str) -> str:
    jobs, needs = repo.jobs, repo.needs
    out = []
    for index, (path, edges) in enumerate(sorted(needs.items())):
        out.append(f"<h4><code>{_e(path)}</code></h4>")
        gid = f"{anchor}-g{index}"  # marker ids must be unique in the page
        out.append(svg_graph(edges, jobs.get(path, {}), f"job graph of {path}", gid,
                             repo.role_reasons.get(path)))  # fmt: skip
    if not out:
        out.append('<p class="muted">no release pipeline found (no job publishes, promotes '
                   "or verifies)</p>")  # fmt: skip
    others = [p for p in sorted(jobs) if p not in needs]
    if others:
        items = "".join(
            f"<li><code>{_e(p)}</code> — {len(jobs[p])} job(s)</li>" for p in others
        )
        out.append(f"<details><summary>{len(others)} other workflow(s)</summary><ul>{items}"
                   "</ul></details>")  # fmt: skip
    return "".join(out)


def _check_graphs(report: Report) -> str:
    """Job graphs a ``check`` report carries (JobGraph objects), for non-org reports."""
    out = []
    for index, (shown, graph) in enumerate(report.graphs.items()):
        needs = {j: list(graph.needs[j]) for j in graph.jobs}
        roles = {j: sorted(str(r) for r in graph.roles.get(j, ())) for j in graph.jobs}
        reasons = {j: dict(graph.reasons.get(j, ())) for j in graph.jobs}
        svg = svg_graph(needs, roles, shown, f"check-g{index}", reasons)
        out.append(f"<h4><code>{_e(shown)}</code></h4>" + svg)
    return "".join(out)


def _repo_section(
    report: Report, repo: RepoSummary, findings: Sequence[Finding], anchor: str,
    sources: SourceLines,
) -> str:  # fmt: skip
    name = _repo_name(repo)
    source = repo.source
    where = _e(repo.root)
    if source is not None and source.kind == "git":
        commit = source.commit or ""
        where += f" @ {_e(source.rev or '')} <code>{_e(commit[:12])}</code>"
    dirs = repo.workflow_dirs
    forge = ", ".join(f"{_e(k)}: {_e(v)}" for k, v in dirs.items() if v)
    error = repo.error
    body = (
        f'<p class="err">✗ not scanned: {_e(error)}</p>' if error else
        _findings_table(report, findings, sources) + "<h3>Release pipeline</h3>"
        + _pipelines(repo, anchor)
    )  # fmt: skip
    return (
        f'<section class="repo" id="{anchor}"><h2>{_e(name)}</h2>'
        f'<div class="muted">{where}{" · " + forge if forge else ""} · '
        f"{repo.files} file(s)</div>{body}</section>"
    )


def render(report: Report) -> str:
    repos = list(report.repos) or [RepoSummary("", ".", report.files)]
    by = _group(report, repos)
    names = [_repo_name(r) for r in repos]
    anchors: dict[str, str] = {}
    for name in names:
        _slug(name, anchors)
    legend = (
        '<p class="legend">Roles: '
        + "".join(f'<span style="background:{c}">{r}</span>' for r, c in ROLE_COLOURS.items())
        + ' <span style="background:#fff;color:#1b1f24;border:1px solid #4a535c">other</span>'
        "</p>"
    )
    sources = SourceLines(report)
    sections = "".join(
        _repo_section(report, repo, by.get(_repo_name(repo), []), anchors[_repo_name(repo)],
                      sources)
        for repo in repos
    )  # fmt: skip
    extra = _check_graphs(report) if report.graphs and report.org is None else ""
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<title>auditor — release pipeline compliance</title>"
        f"<style>{_CSS}</style></head><body>"
        + _header(report, names, by)
        + _matrix(report, repos, by, anchors)
        + _drift(report, repos)
        + '<h2 id="repositories">Repositories</h2>' + legend
        + sections
        + (f"<section><h2>Job graphs</h2>{extra}</section>" if extra else "")
        + f"<script>{_JS}</script></body></html>\n"
    )  # fmt: skip
    # ``##[…]`` anywhere in a line is a legacy workflow command: as a character
    # reference, a browser shows the same text.
    return no_commands_text(page, MARKUP_ESCAPES)
