"""HTML: the org-wide compliance report a lead tracks, one self-contained file.

No external scripts, styles, fonts or images: it opens offline from a file
or a CI artifact (the only URLs are links a person follows: a finding's file
and line on its forge, pinned to the scanned commit, and its rule's page).
Top to bottom, so the page reads as a report and stays short however many
repositories it covers: the header (verdict, totals, the scan date, the policy
applied and its sha256, the auditor version), the trends against a previous
report (``--compare``), one summary row per repository, worst first (revision, counts per
severity, a rules matrix with a text mark and a count besides the colour), the
shared-file drift, every waiver and inline suppression with its reason and
expiry, then per repository a collapsible section (closed by default past
``OPEN_UP_TO`` repositories): its findings with links, the jobs that have a
role and no finding with the reason for each role (a name-only promote says
so), and its release pipelines as inline SVG job graphs.

Built with f-strings here rather than jinja2 templates: every string from a
repository goes through one escaping function (``_e``, quotes included, control
characters made visible, no line starting with repository text), which a
template's autoescape would not do for the last two; and it keeps the report
free of a dependency. Everything comes from the ``Report``; for org scans from
the data the JSON report keeps in ``summary`` (``auditor.org``), so ``auditor
merge`` of shard reports renders the same page as one unsharded run. A few
lines of inline JavaScript filter by severity, rule and repository and sort
the summary; without it the page is complete, just static.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from auditor.findings import MARKUP_ESCAPES, SEVERITY_RANK, Finding, no_commands_text, printable
from auditor.forge import commit_url, file_url
from auditor.reports.links import forge_links, rule_doc_url
from auditor.reports.model import Report
from auditor.reports.source import SourceLines
from auditor.summary import RepoSummary

ROLE_COLOURS = {"publish": "#1f6fb4", "promote": "#c2571a", "verify": "#2a8a2a"}
ROLE_ORDER = ("promote", "publish", "verify")
SEV_MARK = {"error": "✗", "warning": "!", "note": "i"}
MAX_GRAPH_JOBS = 80
MAX_LABEL = 28
OPEN_UP_TO = 8  # more repositories than this: their sections start closed
MAX_OPEN_EXEMPTIONS = 20  # a longer list of waivers and suppressions starts closed

_CSS = """
:root{--bg:#fff;--fg:#1b1f24;--muted:#5c6670;--line:#d8dde3;--ok:#e3f4e3;--okfg:#195c19;
--error:#fbe0de;--errorfg:#8a1c12;--warning:#fff1cc;--warningfg:#6b4a00;--note:#e4eefb;
--notefg:#1d4a80;--link:#0b57a4}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
background:var(--bg);margin:0 auto;padding:0 24px 48px;max-width:1400px}
a{color:var(--link)}
header{padding:18px 0 8px;border-bottom:1px solid var(--line);margin-bottom:8px}
h1{font-size:22px;margin:0 0 2px}h2{font-size:17px;margin:22px 0 6px}
h3{font-size:14px;margin:12px 0 4px}h4{font-size:13px;margin:10px 0 4px}
.muted{color:var(--muted)}
.meta{color:var(--muted);margin:2px 0 6px}.meta b{color:var(--fg);font-weight:600}
.verdict{display:inline-block;font-weight:700;padding:3px 12px;border-radius:4px;margin:4px 0}
.verdict.pass{background:var(--ok);color:var(--okfg)}
.verdict.fail{background:var(--error);color:var(--errorfg)}
.totals{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
.totals div{border:1px solid var(--line);border-radius:6px;padding:4px 12px;min-width:96px}
.totals b{display:block;font-size:19px;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;margin:4px 0 10px}
th,td{border:1px solid var(--line);padding:2px 7px;text-align:left;vertical-align:top}
th{background:#f3f5f7;font-weight:600}
table.matrix th.rule{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;
font-weight:500;font-size:11px;padding:5px 2px}
td.c,td.n{text-align:center;white-space:nowrap;font-variant-numeric:tabular-nums}
table.matrix td{padding:1px 5px}
th[data-sort]{cursor:pointer}
.pass{background:var(--ok);color:var(--okfg)}
.sev-error{background:var(--error);color:var(--errorfg)}
.sev-warning{background:var(--warning);color:var(--warningfg)}
.sev-note{background:var(--note);color:var(--notefg)}
.badge{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;margin-left:4px;
font-variant-numeric:tabular-nums}
.badge.new{background:#6f42c1;color:#fff}.badge.fixed{background:var(--ok);color:var(--okfg)}
details.repo{border:1px solid var(--line);border-radius:6px;margin:6px 0;padding:0 10px}
details.repo>summary{cursor:pointer;padding:6px 0;font-weight:600}
details.repo>summary .muted{font-weight:400}
details.repo[open]>summary{border-bottom:1px solid var(--line);margin-bottom:6px}
.findings td.msg{max-width:62em}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre.src{margin:2px 0 0;padding:2px 6px;background:#f6f8fa;border-left:3px solid var(--line);
white-space:pre-wrap;word-break:break-all}
.graph{overflow-x:auto;border:1px solid var(--line);border-radius:6px;padding:6px;margin:6px 0}
.legend span{display:inline-block;padding:1px 8px;margin-right:6px;border-radius:3px;color:#fff}
.controls{position:sticky;top:0;background:var(--bg);z-index:2;padding:6px 0;margin:4px 0;
border-bottom:1px solid var(--line);display:flex;flex-wrap:wrap;gap:14px;align-items:center}
.controls input[type=search]{padding:3px 8px;width:16em}.controls select{max-width:22em}
.err{color:var(--errorfg)}.expired{color:var(--errorfg);font-weight:600}
.cols{display:flex;flex-wrap:wrap;gap:24px}
[hidden]{display:none!important}
"""

_JS = """
(function(){
  function $(id){return document.getElementById(id);}
  function all(sel){return Array.prototype.slice.call(document.querySelectorAll(sel));}
  var sections=all('details.repo');
  var rows=sections.map(function(s){return all('#'+s.id+' tr.f');});
  var counts=sections.map(function(s){return s.querySelector('.shown');});
  var matrix=$('matrix');
  var mrows=matrix&&matrix.tBodies.length?Array.prototype.slice.call(matrix.tBodies[0].rows):[];
  var q=$('repo-filter'),failing=$('only-failing'),rule=$('rule-filter');
  var sevs=all('input.sev');
  function apply(){
    var want={},narrowed=false;
    sevs.forEach(function(b){want[b.value]=b.checked;if(!b.checked){narrowed=true;}});
    var r=rule?rule.value:'';if(r){narrowed=true;}
    var name=(q&&q.value||'').toLowerCase(),only=failing&&failing.checked;
    var visible={},total=0;
    for(var i=0;i<sections.length;i++){
      var n=0,list=rows[i];
      for(var j=0;j<list.length;j++){
        var tr=list[j];
        var ok=want[tr.getAttribute('data-sev')]!==false&&(!r||tr.getAttribute('data-rule')===r);
        tr.hidden=!ok;if(ok){n++;}
      }
      total+=n;
      var s=sections[i],repo=(s.getAttribute('data-repo')||'').toLowerCase();
      var hide=(name&&repo.indexOf(name)<0)||(only&&s.getAttribute('data-failing')!=='1')||(narrowed&&n===0);
      s.hidden=hide;visible[s.getAttribute('data-repo')]=!hide;
      if(counts[i]){counts[i].textContent=narrowed?(n+' shown'):'';}
    }
    mrows.forEach(function(tr){tr.hidden=!visible[tr.getAttribute('data-repo')];});
    var out=$('filter-count');
    if(out){out.textContent=total+' finding(s) shown';}
  }
  sevs.forEach(function(b){b.addEventListener('change',apply);});
  if(rule){rule.addEventListener('change',apply);}
  if(q){q.addEventListener('input',apply);}
  if(failing){failing.addEventListener('change',apply);}
  function openTarget(){
    var id=location.hash.slice(1),el=id&&$(id);
    if(el&&el.tagName==='DETAILS'){el.open=true;}
  }
  window.addEventListener('hashchange',openTarget);openTarget();
  var ex=$('expand-all'),co=$('collapse-all');
  if(ex){ex.addEventListener('click',function(){sections.forEach(function(s){s.open=true;});});}
  if(co){co.addEventListener('click',function(){sections.forEach(function(s){s.open=false;});});}
  if(!matrix||!matrix.tHead){return;}
  var heads=matrix.tHead.rows[0].cells,body=matrix.tBodies[0];
  for(var c=0;c<heads.length;c++){
    (function(index,th){
      if(!th.hasAttribute('data-sort')){return;}
      th.addEventListener('click',function(){
        var asc=th.getAttribute('data-dir')!=='asc';
        th.setAttribute('data-dir',asc?'asc':'desc');
        var list=Array.prototype.slice.call(body.rows);
        list.sort(function(a,b){
          var x=a.cells[index].getAttribute('data-v')||a.cells[index].textContent;
          var y=b.cells[index].getAttribute('data-v')||b.cells[index].textContent;
          var nx=parseFloat(x),ny=parseFloat(y);
          var d=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);
          return asc?d:-d;
        });
        list.forEach(function(r){body.appendChild(r);});
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



def _failing(findings: Iterable[Finding], fail_on: str) -> bool:
    threshold = SEVERITY_RANK.get(fail_on, 3)
    return any(SEVERITY_RANK.get(f.severity, 0) >= threshold for f in findings)




def _short(commit: str | None) -> str:
    return commit[:12] if commit else ""


def _link(url: str | None, text: str, title: str = "") -> str:
    """``text`` (already escaped) as a link to ``url`` when there is one."""
    if not url:
        return text
    tip = f' title="{_e(title)}"' if title else ""
    return f'<a href="{_e(url)}"{tip}>{text}</a>'


def _when(stamp: str | None) -> str:
    """``2026-12-02T15:30:00Z`` as ``2026-12-02 15:30 UTC``."""
    if not stamp:
        return "unknown"
    return stamp.replace("T", " ")[:16] + " UTC" if "T" in stamp else stamp


def _meta(report: Report) -> str:
    org = report.org
    parts = []
    if org is not None:
        parts.append(f'scanned <b id="scan-date">{_e(_when(org.scanned_at))}</b>')
        if org.policy_path:
            digest = org.policy_sha256 or "unreadable"
            parts.append(
                f'policy <b id="policy"><code>{_e(org.policy_path)}</code></b> '
                f'<span class="muted">sha256 <code title="{_e(digest)}">{_e(digest[:16])}</code></span>'
            )
        else:
            parts.append('policy <b id="policy">defaults</b> <span class="muted">(or a repository\'s '
                         "own .auditor.yml)</span>")  # fmt: skip
    parts.append(f'auditor <b id="tool-version">{_e(report.tool_version)}</b>')
    return '<div class="meta">' + " · ".join(parts) + "</div>"


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
    exemptions = sum(len(r.exemptions) for r in report.repos)
    tiles = [
        ("repositories", len(names)), ("failing", len(failing)), ("files", report.files),
        ("errors", counts["error"]), ("warnings", counts["warning"]), ("notes", counts["note"]),
        ("suppressed", report.suppressed), ("waivers + suppressions", exemptions),
    ]  # fmt: skip
    return (
        "<header><h1>Release pipeline compliance</h1>" + _meta(report)
        + f'<div class="verdict {cls}" id="verdict">{"✗" if failing else "✓"} {verdict}</div> '
        f"<span>{what}</span>"
        '<div class="totals">'
        + "".join(f"<div><b>{v}</b>{_e(k)}</div>" for k, v in tiles)
        + "</div></header>"
    )  # fmt: skip


def _trends(report: Report, anchors: dict[str, str]) -> str:
    trends = report.trends
    if trends is None:
        return ""
    t = trends.totals()
    when = f" (scanned {_e(_when(trends.previous_scanned_at))})" if trends.previous_scanned_at else ""

    def table(title: str, rows: Mapping[str, Any], link: bool) -> str:
        body = []
        for key, c in rows.items():
            shown = _e(key or "(org)")
            if link and key in anchors:
                shown = f'<a href="#{anchors[key]}">{shown}</a>'
            body.append(f'<tr data-key="{_e(key)}"><td>{shown}</td><td class="n" data-v="{c.new}">'
                        f'{c.new}</td><td class="n">{c.fixed}</td><td class="n">{c.still_open}</td></tr>')
        if not body:
            return ""
        return (f'<div><h3>per {title}</h3><table class="trend" id="trend-{title}"><thead><tr><th>{title}</th>'
                "<th>new</th><th>fixed</th><th>still open</th></tr></thead><tbody>"
                + "".join(body) + "</tbody></table></div>")  # fmt: skip

    fixed = "".join(
        f'<tr class="fixed-f"><td>{_e(f.repo or "")}</td><td><code>{_e(f.rule)}</code></td>'
        f"<td><code>{_e(f.path)}:{f.line}</code></td><td>{_e(f.message)}</td></tr>"
        for f in trends.fixed
    )
    fixed_block = (
        f"<details><summary>{t.fixed} fixed finding(s)</summary><table id=\"fixed-list\"><thead><tr>"
        "<th>repository</th><th>rule</th><th>where</th><th>message</th></tr></thead><tbody>"
        + fixed + "</tbody></table></details>" if fixed else ""
    )  # fmt: skip
    missing = (
        f'<p class="muted">Not compared (not scanned this time): {_e(", ".join(trends.not_compared))}</p>'
        if trends.not_compared else ""
    )  # fmt: skip
    return (
        f'<section id="trends"><h2>Trends since <code>{_e(trends.previous)}</code>{when}</h2>'
        f'<div class="totals"><div><b id="trend-new">{t.new}</b>new</div>'
        f'<div><b id="trend-fixed">{t.fixed}</b>fixed</div>'
        f'<div><b id="trend-open">{t.still_open}</b>still open</div></div>'
        '<div class="cols">' + table("repository", trends.by_repo(), True)
        + table("rule", trends.by_rule(), False) + "</div>" + fixed_block + missing + "</section>"
    )  # fmt: skip


def _matrix(
    report: Report, repos: Sequence[RepoSummary], by: dict[str, list[Finding]],
    anchors: dict[str, str],
) -> str:  # fmt: skip
    org_checked = report.org.checked_rules if report.org is not None else ()
    checked = list(org_checked) or [r.id for r in report.checked()]
    fired = sorted({f.rule for f in report.findings})
    quiet = [r for r in checked if r not in fired]
    head = (
        '<th data-sort="1">repository</th><th data-sort="1">status</th>'
        '<th data-sort="1">revision</th>'
        '<th data-sort="1" title="errors">✗</th><th data-sort="1" title="warnings">!</th>'
        '<th data-sort="1" title="notes">i</th>'
        + "".join(f'<th class="rule" data-sort="1" title="{_e(r)}">{_e(r)}</th>' for r in fired)
    )
    rows = []
    for repo in repos:
        name = _repo_name(repo)
        mine = by.get(name, [])
        bad = _failing(mine, report.fail_on)
        if repo.error:
            status = '<td class="sev-error" data-v="3">✗ not scanned</td>'
        elif bad:
            status = '<td class="sev-error" data-v="2">✗ fail</td>'
        elif mine:
            status = '<td class="sev-warning" data-v="1">! findings</td>'
        else:
            status = '<td class="pass" data-v="0">✓ pass</td>'
        sev = {k: sum(1 for f in mine if f.severity == k) for k in ("error", "warning", "note")}
        rev = _link(commit_url(repo.forge_url, repo.revision) or repo.forge_url,
                    f"<code>{_e(_short(repo.revision)) or '—'}</code>", repo.revision or "")
        cells = []
        for rule in fired:
            hits = [f for f in mine if f.rule == rule]
            if hits:
                worst = _worst(hits) or "note"
                cells.append(
                    f'<td class="c sev-{worst}" data-v="{len(hits)}" '
                    f'title="{_e(rule)}: {len(hits)} {worst}">{SEV_MARK[worst]} {len(hits)}</td>'
                )
            else:
                cells.append(f'<td class="c pass" data-v="0" title="{_e(rule)}: pass">✓</td>')
        rows.append(
            f'<tr data-repo="{_e(name)}" data-failing="{1 if bad or repo.error else 0}">'
            f'<td data-v="{_e(name)}"><a href="#{anchors[name]}">{_e(name)}</a></td>{status}'
            f"<td>{rev}</td>"
            + "".join(f'<td class="n" data-v="{sev[k]}">{sev[k] or ""}</td>' for k in sev)
            + "".join(cells) + "</tr>"
        )  # fmt: skip
    note = (
        f'<p class="muted">{len(quiet)} other checked rule(s) pass in every repository: '
        f"{_e(', '.join(quiet))}.</p>" if quiet else ""
    )  # fmt: skip
    legend = (
        '<p class="muted">✓ pass · ✗ N errors · ! N warnings · i N notes (N findings of that '
        "rule in that repository; the mark is the worst severity). Click a column to sort.</p>"
    )
    return (
        '<section id="matrix-section"><h2>Repositories</h2>' + legend
        + '<table class="matrix" id="matrix"><thead><tr>' + head + "</tr></thead><tbody>"
        + "".join(rows) + "</tbody></table>" + note + "</section>"
    )  # fmt: skip


def _controls(report: Report) -> str:
    counts = report.counts()
    rules = sorted({f.rule for f in report.findings})
    boxes = "".join(
        f'<label><input type="checkbox" class="sev" value="{k}" id="sev-{k}" checked> '
        f"{SEV_MARK[k]} {k} ({counts[k]})</label>" for k in ("error", "warning", "note")
    )  # fmt: skip
    options = "".join(
        f'<option value="{_e(r)}">{_e(r)} ({sum(1 for f in report.findings if f.rule == r)})</option>'
        for r in rules
    )  # fmt: skip
    return (
        '<div class="controls" id="controls">' + boxes
        + '<label>rule <select id="rule-filter"><option value="">all rules</option>' + options
        + '</select></label><label>repository <input type="search" id="repo-filter" '
        'placeholder="name…"></label><label><input type="checkbox" id="only-failing"> only '
        'failing</label><button type="button" id="expand-all">expand all</button>'
        '<button type="button" id="collapse-all">collapse all</button>'
        f'<span class="muted" id="filter-count">{len(report.findings)} finding(s) shown</span></div>'
    )  # fmt: skip


def _exemptions(report: Report, anchors: dict[str, str]) -> str:
    rows = []
    today = (report.org.scanned_at or "")[:10] if report.org is not None else ""
    for repo in report.repos:
        for item in repo.exemptions:
            where = f"{item.path}:{item.line}" if item.kind == "inline" and item.line else item.path
            if item.job:
                where += f" (job {item.job})"
            url = file_url(repo.forge_url, repo.revision, item.path, item.line) \
                if item.kind == "inline" else None
            if item.until:
                expired = bool(today) and item.until < today
                until = (f'<span class="expired">expired {_e(item.until)}</span>' if expired
                         else _e(item.until))  # fmt: skip
            else:
                until = "none" if item.kind == "waiver" else '<span class="muted">does not expire</span>'
            name = repo.name
            rows.append(
                f'<tr data-kind="{item.kind}"><td><a href="#{anchors.get(name, "")}">{_e(name)}</a></td>'
                f"<td>{'policy waiver' if item.kind == 'waiver' else 'inline'}</td>"
                f"<td>{', '.join('<code>' + _e(r) + '</code>' for r in item.rules)}</td>"
                f"<td>{_link(url, '<code>' + _e(where) + '</code>')}</td>"
                f"<td>{_e(item.reason)}</td><td>{until}</td></tr>"
            )  # fmt: skip
    if not rows:
        return ('<section id="exemptions"><h2>Waivers and suppressions</h2><p class="muted">'
                "none: no policy waiver and no inline suppression.</p></section>")  # fmt: skip
    table = (
        '<table id="exemptions-table"><thead><tr><th>repository</th><th>kind</th><th>rules</th>'
        "<th>where</th><th>reason</th><th>expires</th></tr></thead><tbody>" + "".join(rows)
        + "</tbody></table>"
    )  # fmt: skip
    if len(rows) > MAX_OPEN_EXEMPTIONS:  # a long list stays one line until asked for
        lapsed = sum(1 for row in rows if 'class="expired"' in row)
        table = (f"<details><summary>{len(rows)} waivers and suppressions"
                 f"{f', {lapsed} expired' if lapsed else ''}</summary>{table}</details>")  # fmt: skip
    return (f'<section id="exemptions"><h2>Waivers and suppressions ({len(rows)})</h2>{table}'
            "</section>")  # fmt: skip


def _findings_table(report: Report, findings: Sequence[Finding], sources: SourceLines,
                    forge: Any, new: frozenset[str]) -> str:  # fmt: skip
    if not findings:
        return '<p class="pass" style="display:inline-block;padding:2px 8px">✓ no findings</p>'
    rows = []
    for f in findings:
        excerpt = sources.excerpt(f)  # bounded: never the whole line once per finding
        src = f'<pre class="src">{_e(excerpt.text)}</pre>' if excerpt is not None else ""
        url = forge(f)
        where = _link(url, f"<code>{_e(f.path)}:{f.line}</code>", "the file at the scanned commit")
        badge = '<span class="badge new">new</span>' if f.fingerprint in new else ""
        rows.append(
            f'<tr class="f" data-sev="{_e(f.severity)}" data-rule="{_e(f.rule)}">'
            f'<td class="sev-{_e(f.severity)}">{SEV_MARK.get(f.severity, "")} '
            f'{_e(f.severity)}{badge}</td><td><a class="doc" href="{_e(rule_doc_url(f.rule))}" '
            f'title="the rule\'s documentation"><code>{_e(f.rule)}</code></a></td>'
            f"<td>{where}{'<br>job <code>' + _e(f.job) + '</code>' if f.job else ''}</td>"
            f'<td class="msg">{_e(f.message)}{src}</td></tr>'
        )
    return (
        '<table class="findings"><thead><tr><th>severity</th><th>rule</th><th>where</th>'
        "<th>message</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _quiet_roles(repo: RepoSummary, findings: Sequence[Finding]) -> str:
    """The jobs that play a role and have no finding, and why each role: what a lead asks
    when a release job shows nothing ("was it checked at all?")."""
    flagged = {(f.path, f.job) for f in findings if f.job}
    rows = []
    for path in sorted(repo.jobs):
        reasons = repo.role_reasons.get(path, {})
        for job, roles in repo.jobs[path].items():
            if not roles or (path, job) in flagged:
                continue
            why = reasons.get(job, {})
            text = "; ".join(f"{role}: {why.get(role, 'no reason recorded')}" for role in roles)
            rows.append(f"<tr><td><code>{_e(path)}</code></td><td><code>{_e(job)}</code></td>"
                        f"<td>{_e(', '.join(roles))}</td><td>{_e(text)}</td></tr>")  # fmt: skip
    if not rows:
        return ""
    return (
        f"<h3>Jobs with a role and no finding ({len(rows)})</h3>"
        '<table class="quiet"><thead><tr><th>workflow</th><th>job</th><th>roles</th>'
        "<th>why it has them</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _repo_section(
    report: Report, repo: RepoSummary, findings: Sequence[Finding], anchor: str,
    sources: SourceLines, forge: Any, new: frozenset[str], open_: bool,
) -> str:  # fmt: skip
    name = _repo_name(repo)
    source = repo.source
    where = _e(repo.root)
    if source is not None and source.kind == "git" and source.rev:
        where += f" @ {_e(source.rev)}"
    if repo.revision:
        where += f" · commit <code class=\"rev\">{_e(_short(repo.revision))}</code>"
    if repo.forge_url:
        where += f' · <a class="forge" href="{_e(repo.forge_url)}">{_e(repo.forge_url)}</a>'
    dirs = repo.workflow_dirs
    forge_dirs = ", ".join(f"{_e(k)}: {_e(v)}" for k, v in dirs.items() if v)
    bad = _failing(findings, report.fail_on)
    counts = {k: sum(1 for f in findings if f.severity == k) for k in ("error", "warning", "note")}
    badges = "".join(f'<span class="badge sev-{k}">{SEV_MARK[k]} {n}</span>'
                     for k, n in counts.items() if n)  # fmt: skip
    fresh = sum(1 for f in findings if f.fingerprint in new)
    if fresh:
        badges += f'<span class="badge new">{fresh} new</span>'
    if repo.error:
        badges += '<span class="badge sev-error">not scanned</span>'
    elif not findings:
        badges += '<span class="badge pass">✓ pass</span>'
    body = (
        f'<p class="err">✗ not scanned: {_e(repo.error)}</p>' if repo.error else
        _findings_table(report, findings, sources, forge, new) + _quiet_roles(repo, findings)
        + "<h3>Release pipeline</h3>" + _pipelines(repo, anchor)
    )  # fmt: skip
    return (
        f'<details class="repo" id="{anchor}" data-repo="{_e(name)}" '
        f'data-failing="{1 if bad or repo.error else 0}"{" open" if open_ else ""}>'
        f'<summary>{_e(name)} {badges} <span class="muted shown"></span></summary>'
        f'<div class="muted">{where}{" · " + forge_dirs if forge_dirs else ""} · '
        f"{repo.files} file(s)</div>{body}</details>"
    )


def _worst_first(repos: Sequence[RepoSummary], by: dict[str, list[Finding]],
                 fail_on: str) -> list[RepoSummary]:  # fmt: skip
    """Not scanned, then failing, then with findings, then passing (by errors, findings,
    name within each): what a lead reads first is at the top."""
    def key(repo: RepoSummary) -> tuple[int, int, int, str]:
        mine = by.get(_repo_name(repo), [])
        rank = 3 if repo.error else 2 if _failing(mine, fail_on) else 1 if mine else 0
        errors = sum(1 for f in mine if f.severity == "error")
        return (-rank, -errors, -len(mine), _repo_name(repo))

    return sorted(repos, key=key)


def render(report: Report) -> str:
    repos = list(report.repos) or [RepoSummary("", ".", report.files)]
    by = _group(report, repos)
    repos = _worst_first(repos, by, report.fail_on)
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
    forge = forge_links(report)
    new = frozenset(f.fingerprint for f in report.trends.new) if report.trends else frozenset()
    open_ = len(repos) <= OPEN_UP_TO
    sections = "".join(
        _repo_section(report, repo, by.get(_repo_name(repo), []), anchors[_repo_name(repo)],
                      sources, forge, new, open_)
        for repo in repos
    )  # fmt: skip
    extra = _check_graphs(report) if report.graphs and report.org is None else ""
    closed = "" if open_ else (f'<p class="muted">{len(repos)} repositories: sections start '
                               "closed; a name in the table above opens its section.</p>")  # fmt: skip
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<title>auditor — release pipeline compliance</title>"
        f"<style>{_CSS}</style></head><body>"
        + _header(report, names, by)
        + _controls(report)
        + _trends(report, anchors)
        + _matrix(report, repos, by, anchors)
        + _drift(report, repos)
        + (_exemptions(report, anchors) if report.org is not None else "")
        + '<h2 id="repositories">Findings per repository</h2>' + closed + legend
        + sections
        + (f"<section><h2>Job graphs</h2>{extra}</section>" if extra else "")
        + f"<script>{_JS}</script></body></html>\n"
    )  # fmt: skip
    # ``##[…]`` anywhere in a line is a legacy workflow command: as a character
    # reference, a browser shows the same text.
    return no_commands_text(page, MARKUP_ESCAPES)
