package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flint-provision/flint/pxe"
)

func TestPXEStatus(t *testing.T) {
	dir := t.TempDir()
	store := pxe.NewDirStore(dir)
	ctx := context.Background()
	boot := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, m := range []pxe.MachineStatus{
		{ID: "52-54-00-00-00-01", Labels: pxe.Labels{"hostname": "alpha"}, Group: "default", Profile: "worker", LastBoot: boot, Result: pxe.ResultProvisioned},
		{ID: "52-54-00-00-00-02", Group: "db", Profile: "worker", LastBoot: boot, Result: pxe.ResultFailed, Error: "disks: no\ndisk"},
	} {
		if err := store.RecordStatus(ctx, m.ID, func(st *pxe.MachineStatus) error { *st = m; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	srv := &pxe.Server{Store: store, DataDir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	t.Run("text", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := Main([]string{"pxe", "status", "--server", ts.URL}, nil, &stdout, &stderr); code != ExitOK {
			t.Fatalf("pxe status = %d (%s)", code, stderr.String())
		}
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		if len(lines) != 3 {
			t.Fatalf("pxe status printed %d lines, want a header and 2 machines:\n%s", len(lines), stdout.String())
		}
		for i, want := range [][]string{
			{"52-54-00-00-00-01", "alpha", "default", "2025-03-01T12:00:00Z", "provisioned"},
			{"52-54-00-00-00-02", "-", "db", "failed", "disks: no disk"},
		} {
			for _, w := range want {
				if !strings.Contains(lines[i+1], w) {
					t.Errorf("line %q does not hold %q", lines[i+1], w)
				}
			}
		}
	})
	t.Run("json", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := Main([]string{"pxe", "status", "--server", ts.URL, "--format", "json"}, nil, &stdout, &stderr); code != ExitOK {
			t.Fatalf("pxe status --format json = %d (%s)", code, stderr.String())
		}
		var list []pxe.MachineStatus
		if err := json.Unmarshal(stdout.Bytes(), &list); err != nil || len(list) != 2 || list[1].Result != pxe.ResultFailed {
			t.Errorf("pxe status --format json = %v, %v", list, err)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"bad format", []string{"pxe", "status", "--server", ts.URL, "--format", "xml"}},
		{"server error", []string{"pxe", "status", "--server", ts.URL + "/nothing-here"}},
		{"no server", []string{"pxe", "status", "--server", "http://127.0.0.1:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Main(tc.args, nil, &stdout, &stderr); code != ExitUsageIO {
				t.Errorf("%v = %d, want %d", tc.args, code, ExitUsageIO)
			}
		})
	}
}

func TestPXEServeChecksData(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"profiles/p.yaml": "id: p\nkernel: /assets/k\n",
		"groups/g.yaml":   "id: g\nprofile: missing\n",
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(content), 0o644)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"group names an unknown profile", []string{"pxe", "serve", "--data", dir, "--http", "127.0.0.1:0", "--tftp", ""}},
		{"unknown store", []string{"pxe", "serve", "--data", dir, "--store", "etcd2://x", "--http", "127.0.0.1:0", "--tftp", ""}},
		{"extra argument", []string{"pxe", "serve", "extra"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Main(tc.args, nil, &stdout, &stderr); code != ExitUsageIO {
				t.Errorf("%v = %d (%s), want %d", tc.args, code, stderr.String(), ExitUsageIO)
			}
		})
	}
}
