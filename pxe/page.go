package pxe

import (
	"html/template"
	"net/http"
	"time"
)

// pageView is what the status page renders: the machines and a count per result.
type pageView struct {
	Machines  []MachineStatus
	Counts    []resultCount
	Generated time.Time
}

type resultCount struct {
	Result string
	N      int
}

// pageResults orders the summary: what needs attention first.
var pageResults = []string{ResultFailed, ResultProvisioning, ResultBooted, ResultProvisioned}

func newPageView(list []MachineStatus, now time.Time) *pageView {
	n := map[string]int{}
	for _, m := range list {
		n[m.Result]++
	}
	v := &pageView{Machines: list, Generated: now}
	for _, r := range pageResults {
		if n[r] > 0 {
			v.Counts = append(v.Counts, resultCount{r, n[r]})
		}
	}
	return v
}

// statusPage lists every machine with its last boot and result. html/template escapes what
// machines sent (hostnames, error messages). Plain HTML and CSS, no script: it must render
// in any browser an operator has at hand, and it refreshes itself every 30 s.
var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"dec": func(n int) int { return n - 1 },
}).Option("missingkey=zero").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="30">
<title>flint pxe: machines</title>
<style>
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --head: #f6f8fa;
  --ok: #1a7f37; --ok-bg: #dafbe1; --bad: #cf222e; --bad-bg: #ffebe9;
  --run: #0969da; --run-bg: #ddf4ff; --wait: #9a6700; --wait-bg: #fff8c5; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--fg); margin: 1.5em 2em; }
h1 { font-size: 1.5em; margin: 0 0 0.2em; }
header p { margin: 0 0 1em; color: var(--muted); }
.count { font-weight: 600; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 0.45em 0.7em; text-align: left; vertical-align: baseline; }
th { background: var(--head); font-weight: 600; font-size: 0.85em; text-transform: uppercase;
  letter-spacing: 0.04em; color: var(--muted); position: sticky; top: 0; }
tbody tr:nth-child(even) { background: #fafbfc; }
tbody tr:hover { background: #f0f6ff; }
td.id, td.last-boot { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9em; white-space: nowrap; }
.badge { display: inline-block; padding: 0.05em 0.6em; border-radius: 1em; font-size: 0.85em; font-weight: 600; }
.provisioned .badge, .count.provisioned { color: var(--ok); } .provisioned .badge { background: var(--ok-bg); }
.failed .badge, .count.failed { color: var(--bad); } .failed .badge { background: var(--bad-bg); }
.provisioning .badge, .count.provisioning { color: var(--run); } .provisioning .badge { background: var(--run-bg); }
.booted .badge, .count.booted { color: var(--wait); } .booted .badge { background: var(--wait-bg); }
td.detail { max-width: 40em; }
.error { display: block; color: var(--bad); background: var(--bad-bg); border-left: 3px solid var(--bad);
  padding: 0.2em 0.5em; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9em;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.none { color: var(--muted); }
</style>
</head>
<body>
<header>
<h1>Machines</h1>
<p><span id="summary">{{len .Machines}} machine{{if ne (len .Machines) 1}}s{{end}}</span>{{range .Counts}} · <span class="count {{.Result}}">{{.N}} {{.Result}}</span>{{end}} · as of {{when .Generated}}</p>
</header>
<table id="machines">
<thead><tr><th>machine</th><th>hostname</th><th>group</th><th>profile</th><th>last boot</th><th>result</th><th>detail</th></tr></thead>
<tbody>
{{- range .Machines}}
<tr data-machine="{{.ID}}">
<td class="id">{{.ID}}</td>
<td class="hostname">{{.Labels.hostname}}</td>
<td class="group">{{.Group}}</td>
<td class="profile">{{.Profile}}</td>
<td class="last-boot">{{when .LastBoot}}</td>
<td class="result {{.Result}}"><span class="badge">{{.Result}}</span></td>
<td class="detail">{{if .Error}}<span class="error">{{.Error}}</span>{{else if eq .Result "provisioned"}}provisioned at {{when .ProvisionedAt}}{{else if .Stages}}{{with index .Stages (len .Stages | dec)}}{{.Name}}: {{.Result}}{{end}}{{end}}</td>
</tr>
{{- else}}
<tr><td colspan="7" class="none">No machine has booted from this server yet.</td></tr>
{{- end}}
</tbody>
</table>
</body>
</html>
`))

func (s *Server) serveStatusPage(w http.ResponseWriter, r *http.Request) {
	list, err := s.Store.ListStatus(r.Context())
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := statusPage.Execute(w, newPageView(list, s.now())); err != nil {
		s.log().Error("status page", "error", err)
	}
}
