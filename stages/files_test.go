package stages

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/vincent-petithory/dataurl"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/internal/rootfs"
)

// dataGetter serves data URLs only, which is all these tests use.
type dataGetter struct{}

func (dataGetter) Get(_ context.Context, r *config.Resource) ([]byte, error) {
	if r.Source == nil || *r.Source == "" {
		return nil, nil
	}
	u, err := dataurl.DecodeString(*r.Source)
	if err != nil {
		return nil, err
	}
	return u.Data, nil
}

// testEnv returns an Env on a fresh root dir for the config given as JSON.
func testEnv(t *testing.T, cfgJSON string) *Env {
	t.Helper()
	p, rep := config.Parse("test.ign", []byte(cfgJSON))
	if p == nil || rep.HasErrors() {
		t.Fatalf("config: %v", rep)
	}
	root, err := rootfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Root: root, Config: &p.Config, Resources: dataGetter{},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func runFiles(t *testing.T, env *Env) error {
	t.Helper()
	s, err := Get("files")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Plan(context.Background(), env)
	if err != nil {
		return err
	}
	return Apply(context.Background(), env, p)
}

func put(t *testing.T, env *Env, rel, content string) {
	t.Helper()
	p := filepath.Join(env.Root.Dir(), rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, env *Env, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(env.Root.Dir(), rel))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	return string(b)
}

func modeOf(t *testing.T, env *Env, rel string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(filepath.Join(env.Root.Dir(), rel))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

const v36 = `{"ignition":{"version":"3.6.0"},"storage":%s}`

func TestFilesWrite(t *testing.T) {
	env := testEnv(t, fmt.Sprintf(v36, `{
		"files":[
			{"path":"/etc/motd","contents":{"source":"data:,hello%0A"},"mode":420},
			{"path":"/usr/local/bin/tool","contents":{"source":"data:;base64,IyEvYmluL3NoCg=="},"mode":3565},
			{"path":"/etc/empty"},
			{"path":"/etc/log","append":[{"source":"data:,a"},{"source":"data:,b"}]}],
		"directories":[{"path":"/var/lib/app","mode":448}],
		"links":[{"path":"/etc/localtime","target":"/usr/share/zoneinfo/UTC"},
			{"path":"/etc/motd-hard","target":"/etc/motd","hard":true}]}`))
	if err := runFiles(t, env); err != nil {
		t.Fatal(err)
	}
	if got := read(t, env, "etc/motd"); got != "hello\n" {
		t.Errorf("motd = %q", got)
	}
	if got := modeOf(t, env, "usr/local/bin/tool"); got != 0o755|os.ModeSetuid|os.ModeSetgid {
		t.Errorf("tool mode = %v, want setuid+setgid 0755 (3565 = 06755)", got)
	}
	if got := modeOf(t, env, "usr/local"); got != os.ModeDir|0o755 {
		t.Errorf("created parent mode = %v, want 0755", got)
	}
	if got := read(t, env, "etc/empty"); got != "" {
		t.Errorf("empty = %q", got)
	}
	if got := modeOf(t, env, "etc/empty"); got != 0o644 {
		t.Errorf("new file without mode = %v, want 0644", got)
	}
	if got := read(t, env, "etc/log"); got != "ab" {
		t.Errorf("appended file = %q, want ab", got)
	}
	if got := modeOf(t, env, "var/lib/app"); got != os.ModeDir|0o700 {
		t.Errorf("directory mode = %v", got)
	}
	if target, err := os.Readlink(filepath.Join(env.Root.Dir(), "etc/localtime")); err != nil || target != "/usr/share/zoneinfo/UTC" {
		t.Errorf("symlink = %q, %v", target, err)
	}
	a, _ := os.Stat(filepath.Join(env.Root.Dir(), "etc/motd"))
	b, _ := os.Stat(filepath.Join(env.Root.Dir(), "etc/motd-hard"))
	if !os.SameFile(a, b) {
		t.Errorf("hard link is not the same file")
	}
}

func TestFilesExisting(t *testing.T) {
	for _, tc := range []struct {
		name    string
		storage string
		setup   func(t *testing.T, env *Env)
		want    error  // nil: success
		check   string // expected contents of etc/x when want is nil
	}{
		{name: "existing file, source, no overwrite", storage: `{"files":[{"path":"/etc/x","contents":{"source":"data:,new"}}]}`,
			setup: func(t *testing.T, env *Env) { put(t, env, "etc/x", "old") }, want: ErrFileExists},
		{name: "existing file, empty source counts as a source", storage: `{"files":[{"path":"/etc/x","contents":{"source":""}}]}`,
			setup: func(t *testing.T, env *Env) { put(t, env, "etc/x", "old") }, want: ErrFileExists},
		{name: "existing file, overwrite", storage: `{"files":[{"path":"/etc/x","overwrite":true,"contents":{"source":"data:,new"}}]}`,
			setup: func(t *testing.T, env *Env) { put(t, env, "etc/x", "old") }, check: "new"},
		{name: "existing file, no source: kept", storage: `{"files":[{"path":"/etc/x","mode":384}]}`,
			setup: func(t *testing.T, env *Env) { put(t, env, "etc/x", "old") }, check: "old"},
		{name: "existing file, append only", storage: `{"files":[{"path":"/etc/x","append":[{"source":"data:,+"}]}]}`,
			setup: func(t *testing.T, env *Env) { put(t, env, "etc/x", "old") }, check: "old+"},
		{name: "directory in the way", storage: `{"files":[{"path":"/etc/x","contents":{"source":"data:,new"}}]}`,
			setup: func(t *testing.T, env *Env) { put(t, env, "etc/x/inner", "") }, want: ErrNotRegular},
		{name: "directory in the way, overwrite", storage: `{"files":[{"path":"/etc/x","overwrite":true,"contents":{"source":"data:,new"}}]}`,
			setup: func(t *testing.T, env *Env) { put(t, env, "etc/x/inner", "") }, check: "new"},
		{name: "file where a directory goes", storage: `{"directories":[{"path":"/etc/x"}]}`,
			setup: func(t *testing.T, env *Env) { put(t, env, "etc/x", "old") }, want: ErrNotDirectory},
		{name: "file where a link goes", storage: `{"links":[{"path":"/etc/x","target":"/a"}]}`,
			setup: func(t *testing.T, env *Env) { put(t, env, "etc/x", "old") }, want: ErrNodeExists},
		{name: "two entries through a link", storage: `{"files":[{"path":"/etc/x","contents":{"source":"data:,1"}},{"path":"/e/x","contents":{"source":"data:,2"}}]}`,
			setup: func(t *testing.T, env *Env) {
				put(t, env, "etc/keep", "")
				if err := os.Symlink("/etc", filepath.Join(env.Root.Dir(), "e")); err != nil {
					t.Fatal(err)
				}
			}, want: ErrSamePath},
		{name: "write through an absolute symlink stays in the root", storage: `{"files":[{"path":"/e/x","contents":{"source":"data:,in"}}]}`,
			setup: func(t *testing.T, env *Env) {
				put(t, env, "etc/keep", "")
				if err := os.Symlink("/etc", filepath.Join(env.Root.Dir(), "e")); err != nil {
					t.Fatal(err)
				}
			}, check: "in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := testEnv(t, fmt.Sprintf(v36, tc.storage))
			tc.setup(t, env)
			before := snapshot(t, env.Root.Dir())
			err := runFiles(t, env)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("files stage = %v, want %v", err, tc.want)
				}
				var se *StepError
				if !errors.As(err, &se) || len(se.Path) == 0 {
					t.Errorf("error %v does not name the config entry", err)
				}
				if after := snapshot(t, env.Root.Dir()); after != before {
					t.Errorf("a failed plan changed the root:\nbefore %s\nafter  %s", before, after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := read(t, env, "etc/x"); got != tc.check {
				t.Errorf("etc/x = %q, want %q", got, tc.check)
			}
		})
	}
}

// snapshot describes every node under dir, to show that nothing changed.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var s string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		s += fmt.Sprintf("%s %v %d;", p[len(dir):], fi.Mode(), fi.Size())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
