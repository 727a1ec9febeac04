package pxe

import (
	"html/template"
	"net/http"
	"time"
)

// statusPage lists every machine with its last boot and result. html/template escapes what
// machines sent (hostnames, error messages).
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
<title>flint pxe: machines</title>
<style>
body { font-family: sans-serif; margin: 2em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
.provisioned { color: #060; } .failed { color: #a00; font-weight: bold; }
.booted, .provisioning { color: #660; }
</style>
</head>
<body>
<h1>Machines</h1>
<p id="summary">{{len .}} machine{{if ne (len .) 1}}s{{end}}</p>
<table id="machines">
<thead><tr><th>machine</th><th>hostname</th><th>group</th><th>profile</th><th>last boot</th><th>result</th><th>detail</th></tr></thead>
<tbody>
{{- range .}}
<tr data-machine="{{.ID}}">
<td class="id">{{.ID}}</td>
<td class="hostname">{{.Labels.hostname}}</td>
<td class="group">{{.Group}}</td>
<td class="profile">{{.Profile}}</td>
<td class="last-boot">{{when .LastBoot}}</td>
<td class="result {{.Result}}">{{.Result}}</td>
<td class="detail">{{if .Error}}{{.Error}}{{else if eq .Result "provisioned"}}provisioned at {{when .ProvisionedAt}}{{else if .Stages}}{{with index .Stages (len .Stages | dec)}}{{.Name}}: {{.Result}}{{end}}{{end}}</td>
</tr>
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
	if err := statusPage.Execute(w, list); err != nil {
		s.log().Error("status page", "error", err)
	}
}
