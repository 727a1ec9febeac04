package translate

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/flint-provision/flint/config"
)

// ErrGeneratedConflict is reported when a section would generate a file or unit that the
// config already has with contents of its own: neither may silently replace the other.
var ErrGeneratedConflict = errors.New("the config already has an entry with contents that this section generates")

// section is one top-level section being translated: its YAML key and the positions of its
// own keys, which are YAML paths ($.cluster.peer_tls.cert) rather than output paths, so they
// are kept apart from the output's position map.
type section struct {
	t   *translator
	e   extra
	pos *Positions
}

// decodeSection decodes the section e into out (a pointer to the section's struct) with the
// generic walker, so that unknown keys, types, aliases and inline/local resources behave as
// everywhere else. It reports false when the section is empty or null.
func decodeSection(t *translator, e extra, out any) (*section, bool) {
	main := t.pos
	t.pos = newPositions()
	mark := len(t.compress)
	ok := t.value(e.value, reflect.ValueOf(out).Elem(), config.Path{e.name}, "$."+e.name, e.key, nil)
	s := &section{t: t, e: e, pos: t.pos}
	t.pos = main
	// The section's resources are copied into generated files before the walk ends, so their
	// compression cannot wait for the batch that runs after it: it is done now.
	compressAll(t.compress[mark:])
	t.compress = t.compress[:mark]
	return s, ok
}

// report adds a diagnostic positioned at the section's YAML path p.
func (s *section) report(sev config.Severity, p config.Path, onKey bool, err error) {
	d := config.Diagnostic{Severity: sev, Path: p, OnKey: onKey, Err: err}
	d.Line, d.Column, _ = s.pos.Locate(p, onKey)
	s.t.rep = append(s.t.rep, d)
}

func (s *section) errorf(p config.Path, err error) { s.report(config.SeverityError, p, false, err) }

// path is the section's YAML path with elems appended.
func (s *section) path(elems ...any) config.Path {
	return append(config.Path{s.e.name}, elems...)
}

// origin records that the output at key came from the section's YAML path from (or the
// deepest part of it that was written), so that problems found on the output point there.
func (s *section) origin(key string, from config.Path) {
	for n := len(from); n >= 0; n-- {
		if pos, ok := s.pos.m[pathKey(from[:n])]; ok {
			s.t.pos.m[key] = pos
			return
		}
	}
}

// addUnit adds a generated unit. A unit of the same name that the user wrote without contents
// (to enable it, or to add drop-ins) receives the generated contents and drop-ins.
func (s *section) addUnit(c *config.Config, u config.Unit, from config.Path) {
	for i := range c.Systemd.Units {
		have := &c.Systemd.Units[i]
		if have.Name != u.Name {
			continue
		}
		if have.Contents != nil && u.Contents != nil {
			s.errorf(from, fmt.Errorf("%w: systemd unit %s", ErrGeneratedConflict, u.Name))
			return
		}
		if have.Contents == nil {
			have.Contents = u.Contents
		}
		if have.Enabled == nil {
			have.Enabled = u.Enabled
		}
		if have.Mask == nil {
			have.Mask = u.Mask
		}
		base := fmt.Sprintf("$.systemd.units.%d.dropins.", i)
		for _, d := range u.Dropins {
			s.origin(base+fmt.Sprint(len(have.Dropins)), from)
			have.Dropins = append(have.Dropins, d)
		}
		return
	}
	s.origin(fmt.Sprintf("$.systemd.units.%d", len(c.Systemd.Units)), from)
	c.Systemd.Units = append(c.Systemd.Units, u)
}

// addFile adds a generated file; the user may not write the same path.
func (s *section) addFile(c *config.Config, f config.File, from config.Path) {
	for _, have := range c.Storage.Files {
		if have.Path == f.Path {
			s.errorf(from, fmt.Errorf("%w: file %s", ErrGeneratedConflict, f.Path))
			return
		}
	}
	s.origin(fmt.Sprintf("$.storage.files.%d", len(c.Storage.Files)), from)
	c.Storage.Files = append(c.Storage.Files, f)
}

// addDirectory adds a generated directory unless the user wrote one at the same path, whose
// mode and owner then win.
func (s *section) addDirectory(c *config.Config, d config.Directory, from config.Path) {
	for _, have := range c.Storage.Directories {
		if have.Path == d.Path {
			return
		}
	}
	s.origin(fmt.Sprintf("$.storage.directories.%d", len(c.Storage.Directories)), from)
	c.Storage.Directories = append(c.Storage.Directories, d)
}

// textFile is a generated file with fixed text, as the smaller plain data URL: these files are
// small, and gzip would only hide them from someone reading the output.
func textFile(path, text string, mode int) config.File {
	url := plainDataURL([]byte(text), false)
	f := config.File{Node: config.Node{Path: path, Overwrite: ptr(true)}, Mode: ptr(mode)}
	f.Contents.Source = &url
	return f
}

// hasErrorsAfter reports whether rep has an error after its first n entries.
func hasErrorsAfter(rep config.Report, n int) bool {
	return rep[n:].HasErrors()
}

// registerSection adds a top-level section of flint's own variant: a key that stands for a
// whole part of a machine's setup (cluster enrollment, OS updates) and generates files and
// units. Sections run after the user's own fields are decoded, so that what they generate can
// be checked against the user's entries.
func registerSection(name string, apply func(*translator, *config.Config, extra)) {
	addSugar(reflect.TypeFor[config.Config](),
		map[string]func(*translator, config.Path) bool{
			name: func(t *translator, _ config.Path) bool { return t.variant.Name == "flint" },
		},
		func(t *translator, v reflect.Value, _ site, extras []extra) {
			for _, e := range extras {
				apply(t, v.Addr().Interface().(*config.Config), e)
			}
		})
}
