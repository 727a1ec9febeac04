package pxe

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flint-provision/flint/internal/rootfs"
	"github.com/flint-provision/flint/stages"
)

// TestAgentReportsToServer runs the real agent stages against a real server: the machine's
// script carries flint.report.url, and the agent's posts turn into the machine's record —
// provisioned after a good run, failed with the stage and message after a bad one.
func TestAgentReportsToServer(t *testing.T) {
	_, ts := testServer(t, testData(t))
	for _, tc := range []struct {
		name, mac, config string
		wantResult        string
		wantError         string
	}{
		{"provisioned", "52-54-00-00-00-21", `{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"/etc/hello","contents":{"source":"data:,hi"}}]}}`, ResultProvisioned, ""},
		{"failed", "52-54-00-00-00-22", `{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"relative"}]}}`, ResultFailed, "fetch-offline: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			script, _ := bootMachine(t, ts.URL, "mac="+tc.mac)
			var reportURL string
			for _, f := range strings.Fields(script) {
				if v, ok := strings.CutPrefix(f, "flint.report.url="); ok {
					reportURL = v
				}
			}
			if reportURL == "" {
				t.Fatalf("no flint.report.url in:\n%s", script)
			}
			cfg := filepath.Join(t.TempDir(), "config.ign")
			os.WriteFile(cfg, []byte(tc.config), 0o644)
			root, _ := rootfs.New(t.TempDir())
			env := &stages.Env{Root: root, StateDir: t.TempDir(), SysRoot: t.TempDir(), Platform: "metal",
				ConfigSource: cfg, ReportURL: reportURL, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			runErr := stages.Run(context.Background(), env, []string{"fetch-offline", "files"})
			if (runErr == nil) != (tc.wantResult == ResultProvisioned) {
				t.Fatalf("agent run = %v", runErr)
			}
			code, body := get(t, ts.URL+"/status.json")
			if code != 200 {
				t.Fatalf("GET /status.json = %d", code)
			}
			var all []MachineStatus
			if err := json.Unmarshal([]byte(body), &all); err != nil {
				var wrapped struct{ Machines []MachineStatus }
				if err2 := json.Unmarshal([]byte(body), &wrapped); err2 != nil {
					t.Fatalf("status.json: %v\n%s", err, body)
				}
				all = wrapped.Machines
			}
			var st *MachineStatus
			for i := range all {
				if all[i].ID == tc.mac {
					st = &all[i]
				}
			}
			if st == nil {
				t.Fatalf("machine %s not in %s", tc.mac, body)
			}
			if st.Result != tc.wantResult || !strings.HasPrefix(st.Error, tc.wantError) {
				t.Errorf("machine %s: result %q, error %q; want %q, %q…", tc.mac, st.Result, st.Error, tc.wantResult, tc.wantError)
			}
			if len(st.Stages) == 0 {
				t.Errorf("no stages recorded")
			}
			if tc.wantResult == ResultFailed {
				for _, s := range st.Stages {
					if s.Result == "failure" && !strings.Contains(s.Log, "ERROR") {
						t.Errorf("failed stage %s carries no log tail: %q", s.Name, s.Log)
					}
				}
			}
		})
	}
}
