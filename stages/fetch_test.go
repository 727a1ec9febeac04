package stages

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flint-provision/flint/internal/cmdline"
	"github.com/flint-provision/flint/internal/resource"
	"github.com/flint-provision/flint/internal/rootfs"
)

// runEnv is an Env for whole runs: an empty target root, state and system directories.
func runEnv(t *testing.T, platform, kernelArgs string) *Env {
	t.Helper()
	root, err := rootfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Root: root, StateDir: t.TempDir(), SysRoot: t.TempDir(), Platform: platform,
		Cmdline: cmdline.Parse(kernelArgs), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Fetcher: &resource.Fetcher{BackoffInitial: 1, BackoffMax: 1}}
}

func sysFile(t *testing.T, env *Env, p, content string) {
	t.Helper()
	full := filepath.Join(env.SysRoot, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sha512Of(s string) string {
	sum := sha512.Sum512([]byte(s))
	return "sha512-" + hex.EncodeToString(sum[:])
}

var firstBoot = []string{"fetch-offline", "fetch", "files"}

func TestRunSources(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/user.ign":
			fmt.Fprint(w, `{"ignition":{"version":"3.4.0","config":{"merge":[{"source":"`+"http://"+r.Host+`/child.ign"}]}},
				"storage":{"files":[{"path":"/etc/from-url","contents":{"source":"data:,url"}}]}}`)
		case "/child.ign":
			fmt.Fprint(w, `{"ignition":{"version":"3.0.0"},"storage":{"files":[{"path":"/etc/from-child","contents":{"source":"data:,child"}}]}}`)
		case "/remote.txt":
			fmt.Fprint(w, "remote data")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name   string
		setup  func(t *testing.T) *Env
		want   map[string]string // files in the target
		remote bool              // the config needs the network
	}{
		{name: "kernel argument URL with a referenced config", remote: true, setup: func(t *testing.T) *Env {
			return runEnv(t, "metal", "flint.config.url="+srv.URL+"/user.ign")
		}, want: map[string]string{"etc/from-url": "url", "etc/from-child": "child"}},
		{name: "ignition alias", remote: true, setup: func(t *testing.T) *Env {
			return runEnv(t, "metal", "ignition.config.url="+srv.URL+"/user.ign")
		}, want: map[string]string{"etc/from-url": "url"}},
		{name: "embedded in the initramfs", setup: func(t *testing.T) *Env {
			env := runEnv(t, "metal", "")
			sysFile(t, env, "/config.ign", `{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"/etc/embedded","contents":{"source":"data:,e"}}]}}`)
			return env
		}, want: map[string]string{"etc/embedded": "e"}},
		{name: "embedded YAML translated at boot", setup: func(t *testing.T) *Env {
			env := runEnv(t, "metal", "")
			sysFile(t, env, "/usr/lib/flint/user.yaml", "variant: flint\nversion: 1.0.0\nstorage:\n  files:\n    - path: /etc/yaml\n      contents:\n        inline: y\n")
			return env
		}, want: map[string]string{"etc/yaml": "y"}},
		{name: "base configs under the user config", setup: func(t *testing.T) *Env {
			env := runEnv(t, "metal", "")
			sysFile(t, env, "/config.ign", `{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"/etc/both","overwrite":true,"contents":{"source":"data:,user"}}]}}`)
			sysFile(t, env, "/usr/lib/flint/base.d/10-base.ign", `{"ignition":{"version":"3.2.0"},"storage":{"files":[{"path":"/etc/both","contents":{"source":"data:,base"}},{"path":"/etc/base","contents":{"source":"data:,b"}}]}}`)
			sysFile(t, env, "/etc/flint/base.platform.d/metal/20-p.ign", `{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"/etc/platform","contents":{"source":"data:,p"}}]}}`)
			sysFile(t, env, "/etc/flint/base.platform.d/aws/20-p.ign", `{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"/etc/aws","contents":{"source":"data:,a"}}]}}`)
			return env
		}, want: map[string]string{"etc/both": "user", "etc/base": "b", "etc/platform": "p"}},
		{name: "remote resource fetched by the fetch stage", remote: true, setup: func(t *testing.T) *Env {
			env := runEnv(t, "metal", "")
			sysFile(t, env, "/config.ign", `{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"/etc/remote","contents":{"source":"`+srv.URL+`/remote.txt","verification":{"hash":"`+sha512Of("remote data")+`"}}}]}}`)
			return env
		}, want: map[string]string{"etc/remote": "remote data"}},
		{name: "embedded config with a report URL asks for the network", remote: true, setup: func(t *testing.T) *Env {
			env := runEnv(t, "metal", "")
			env.ReportURL = srv.URL + "/status"
			sysFile(t, env, "/config.ign", `{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"/etc/offline","contents":{"source":"data:,o"}}]}}`)
			return env
		}, want: map[string]string{"etc/offline": "o"}},
		{name: "file platform", setup: func(t *testing.T) *Env {
			env := runEnv(t, "file", "")
			p := filepath.Join(t.TempDir(), "c.ign")
			os.WriteFile(p, []byte(`{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"/etc/file","contents":{"source":"data:,f"}}]}}`), 0o644)
			t.Setenv("FLINT_CONFIG_FILE", p)
			return env
		}, want: map[string]string{"etc/file": "f"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.setup(t)
			if err := Run(context.Background(), env, firstBoot[:1]); err != nil {
				t.Fatalf("fetch-offline: %v", err)
			}
			_, err := os.Stat(filepath.Join(env.StateDir, needNetFile))
			if needNet := err == nil; needNet != tc.remote {
				t.Errorf("neednet after fetch-offline = %v, want %v", needNet, tc.remote)
			}
			next := firstBoot[2:]
			if tc.remote {
				next = firstBoot[1:] // the fetch unit runs only when neednet was asked for
			}
			if err := Run(context.Background(), env, next); err != nil {
				t.Fatalf("%v: %v", next, err)
			}
			for rel, want := range tc.want {
				if got := read(t, env, rel); got != want {
					t.Errorf("%s = %q, want %q", rel, got, want)
				}
			}
			if _, err := os.Stat(filepath.Join(env.Root.Dir(), "etc/aws")); err == nil {
				t.Errorf("another platform's base config was applied")
			}
			var rep Report
			if err := json.Unmarshal([]byte(read(t, env, "etc/.flint-result.json")), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Result != "success" || !rep.UserConfigProvided || !strings.HasPrefix(rep.ConfigHash, "sha512-") {
				t.Errorf("report = %+v, want success with a user config and its hash", rep)
			}
			if mode := modeOf(t, env, "etc/.flint-result.json"); mode != 0o600 {
				t.Errorf("report mode = %v, want 0600", mode)
			}
		})
	}
}

func TestRunEmptyConfig(t *testing.T) {
	env := runEnv(t, "metal", "")
	if err := Run(context.Background(), env, []string{"fetch-offline", "files"}); err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal([]byte(read(t, env, "etc/.flint-result.json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Result != "success" || rep.UserConfigProvided {
		t.Errorf("report = %+v, want success without a user config", rep)
	}
}

// TestRunFailuresTouchNothing checks that a config that cannot be applied stops the run in the
// fetch stages, before any stage that writes, and that the report names the failure.
func TestRunFailuresTouchNothing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/data" {
			fmt.Fprint(w, "tampered")
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name, config, kernelArgs string
		want                     error
		configPath               string
	}{
		{name: "bad hash", config: `{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"/etc/a","contents":{"source":"data:,a"}},
			{"path":"/etc/b","contents":{"source":"` + srv.URL + `/data","verification":{"hash":"` + sha512Of("original") + `"}}}]}}`,
			want: resource.ErrHashMismatch},
		{name: "missing remote file", config: `{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"/etc/b","contents":{"source":"` + srv.URL + `/nope"}}]}}`,
			want: resource.ErrNotFound},
		{name: "invalid config", config: `{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"relative"}]}}`,
			want: ErrConfigInvalid},
		{name: "missing referenced config", config: `{"ignition":{"version":"3.6.0","config":{"merge":[{"source":"` + srv.URL + `/nope.ign"}]}}}`,
			want: resource.ErrNotFound},
		{name: "config URL 404", kernelArgs: "flint.config.url=" + srv.URL + "/none.ign", want: resource.ErrNotFound},
		{name: "device without path", kernelArgs: "flint.config.device=CONFIG", want: ErrConfigSource},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := runEnv(t, "metal", tc.kernelArgs)
			if tc.config != "" {
				sysFile(t, env, "/config.ign", tc.config)
			}
			before := snapshot(t, env.Root.Dir())
			err := Run(context.Background(), env, Order[:1])
			if err == nil {
				err = Run(context.Background(), env, Order[1:2])
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("run = %v, want %v", err, tc.want)
			}
			if after := snapshot(t, env.Root.Dir()); after != before {
				t.Errorf("the target changed")
			}
			rep, err := LoadReport(env.StateDir)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Result != "failed" || rep.Error == nil || !strings.HasPrefix(rep.Error.Stage, "fetch") {
				t.Errorf("report = %+v, want a failure in a fetch stage", rep)
			}
			if _, err := os.Stat(filepath.Join(env.StateDir, cacheFile)); tc.want != resource.ErrHashMismatch && tc.want != resource.ErrNotFound && err == nil {
				t.Errorf("an invalid config was cached")
			}
		})
	}
}

func TestEditArgs(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		add, remove    []string
		changed        bool
	}{
		{"append", "root=UUID=x ro", "root=UUID=x ro quiet", []string{"quiet"}, nil, true},
		{"present", "ro quiet", "ro quiet", []string{"quiet"}, nil, false},
		{"sequence appended", "ro", "ro console=ttyS0 console=tty0", []string{"console=ttyS0 console=tty0"}, nil, true},
		{"sequence present", "a console=ttyS0 console=tty0 b", "a console=ttyS0 console=tty0 b", []string{"console=ttyS0 console=tty0"}, nil, false},
		{"remove every occurrence", "a quiet b quiet", "a b", nil, []string{"quiet"}, true},
		{"remove absent is fine", "a b", "a b", nil, []string{"quiet"}, false},
		{"remove then add", "a old", "a new", []string{"new"}, []string{"old"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := EditArgs(tc.in, tc.add, tc.remove)
			if got != tc.want || changed != tc.changed {
				t.Errorf("EditArgs(%q, %q, %q) = %q, %v, want %q, %v", tc.in, tc.add, tc.remove, got, changed, tc.want, tc.changed)
			}
		})
	}
}

func TestKargsBLS(t *testing.T) {
	env := runEnv(t, "metal", "")
	sysFile(t, env, "/config.ign", `{"ignition":{"version":"3.6.0"},"kernelArguments":{"shouldExist":["console=ttyS0"],"shouldNotExist":["quiet"]}}`)
	entry := filepath.Join(env.Root.Dir(), "boot/loader/entries/debian.conf")
	os.MkdirAll(filepath.Dir(entry), 0o755)
	os.WriteFile(entry, []byte("title Debian\nlinux /vmlinuz\noptions root=LABEL=ROOT quiet\n"), 0o644)
	rebooted := false
	env.Reboot = func() error { rebooted = true; return nil }
	if err := Run(context.Background(), env, []string{"fetch-offline", "kargs"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(entry)
	if want := "title Debian\nlinux /vmlinuz\noptions root=LABEL=ROOT console=ttyS0\n"; string(b) != want {
		t.Errorf("entry = %q, want %q", b, want)
	}
	if !rebooted {
		t.Errorf("no reboot asked for after the arguments changed")
	}
	rebooted = false
	env.Config = nil
	if err := Run(context.Background(), env, []string{"kargs"}); err != nil || rebooted {
		t.Errorf("second kargs run: %v, rebooted %v; want nothing to do", err, rebooted)
	}
}
