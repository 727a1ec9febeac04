package pxe

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestDirStore(t *testing.T) {
	ctx := context.Background()
	t.Run("ids from file names, JSON and YAML, MACs normalised", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{
			"groups/a.yaml":    "profile: p\nselector: {mac: 52-54-00-00-00-0A}\n",
			"groups/b.json":    `{"id": "bee", "profile": "p"}`,
			"groups/notes.txt": "ignored",
			"profiles/p.yml":   "kernel: /k\n",
		})
		s := NewDirStore(dir)
		groups, err := s.Groups(ctx)
		if err != nil || len(groups) != 2 || groups[0].ID != "a" || groups[1].ID != "bee" || groups[0].Selector["mac"] != "52:54:00:00:00:0a" {
			t.Errorf("Groups() = %+v, %v", groups, err)
		}
		profiles, err := s.Profiles(ctx)
		if err != nil || len(profiles) != 1 || profiles[0].ID != "p" {
			t.Errorf("Profiles() = %+v, %v", profiles, err)
		}
	})
	for _, tc := range []struct{ name, file, content string }{
		{"unknown key", "groups/g.yaml", "profile: p\nselectors: {mac: 52:54:00:00:00:01}\n"},
		{"bad MAC in a selector", "groups/g.yaml", "profile: p\nselector: {mac: nope}\n"},
		{"no profile", "groups/g.yaml", "selector: {rack: 1}\n"},
		{"syntax", "groups/g.json", `{"profile": `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, map[string]string{tc.file: tc.content})
			if g, err := NewDirStore(dir).Groups(ctx); err == nil {
				t.Errorf("Groups() = %+v, want an error", g)
			}
		})
	}
	t.Run("config confined to configs/", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"configs/c.yaml": "x", "outside": "y"})
		s := NewDirStore(dir)
		if b, err := s.Config(ctx, "c.yaml"); err != nil || string(b) != "x" {
			t.Errorf("Config(c.yaml) = %q, %v", b, err)
		}
		if b, err := s.Config(ctx, "../outside"); err == nil {
			t.Errorf("Config(../outside) = %q, want an error", b)
		}
		if _, err := s.Config(ctx, "missing"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Config(missing) error = %v, want %v", err, fs.ErrNotExist)
		}
	})
	t.Run("secret created once, private", func(t *testing.T) {
		dir := t.TempDir()
		s := NewDirStore(dir)
		k1, err := s.Secret(ctx)
		if err != nil || len(k1) != 32 {
			t.Fatalf("Secret() = %d bytes, %v", len(k1), err)
		}
		k2, _ := NewDirStore(dir).Secret(ctx)
		if string(k1) != string(k2) {
			t.Errorf("Secret() changed between stores of one directory")
		}
		if info, err := os.Stat(filepath.Join(dir, SecretFile)); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("token.key mode = %v, %v; want 0600", info.Mode(), err)
		}
	})
	t.Run("concurrent status updates all land", func(t *testing.T) {
		s := NewDirStore(t.TempDir())
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.RecordStatus(ctx, "m1", func(st *MachineStatus) error { st.Boots++; return nil })
			}()
		}
		wg.Wait()
		list, err := s.ListStatus(ctx)
		if err != nil || len(list) != 1 || list[0].Boots != 20 {
			t.Errorf("ListStatus() = %+v, %v; want m1 with 20 boots", list, err)
		}
		entries, _ := os.ReadDir(filepath.Join(s.Dir, StatusDir))
		if len(entries) != 1 {
			t.Errorf("status/ holds %d files, want 1 (no temporary files left)", len(entries))
		}
	})
	t.Run("machine id must be a safe file name", func(t *testing.T) {
		s := NewDirStore(t.TempDir())
		err := s.RecordStatus(ctx, "../x", func(*MachineStatus) error { return nil })
		if !errors.Is(err, ErrName) {
			t.Errorf("RecordStatus(../x) error = %v, want %v", err, ErrName)
		}
	})
}

func TestMachineID(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    Labels
		want string
	}{
		{"MAC", Labels{"mac": "52:54:00:00:00:01", "uuid": "u"}, "52-54-00-00-00-01"},
		{"UUID", Labels{"uuid": "4c4c4544-0042"}, "uuid-4c4c4544-0042"},
		{"unsafe UUID hashed", Labels{"uuid": "../../x"}, "labels-"},
		{"labels hashed", Labels{"hostname": "a"}, "labels-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := MachineID(tc.l)
			if got != tc.want && !(tc.want == "labels-" && len(got) == len("labels-")+16 && got[:7] == tc.want) {
				t.Errorf("MachineID(%v) = %q, want %q", tc.l, got, tc.want)
			}
			if !validMachineID(got) {
				t.Errorf("MachineID(%v) = %q is not a valid id", tc.l, got)
			}
		})
	}
}
