package translate

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/flint-provision/flint/config"
)

// sugar is what a model type accepts beyond its own fields: extra YAML keys, each with a test
// of whether the variant has it at that place, and a function that turns them into fields.
// apply runs after the type's own fields are decoded, with the extra keys that were present.
type sugar struct {
	keys  map[string]func(t *translator, p config.Path) bool
	apply func(t *translator, v reflect.Value, at site, extras []extra)
}

// sugars holds the sugar of each model type.
var sugars = map[reflect.Type]sugar{
	reflect.TypeFor[config.Resource](): {
		keys:  map[string]func(*translator, config.Path) bool{"inline": sourcesAllowed, "local": sourcesAllowed},
		apply: resourceSugar,
	},
	reflect.TypeFor[config.Unit](): {
		keys: map[string]func(*translator, config.Path) bool{"contents_local": localKeysAllowed},
		apply: func(t *translator, v reflect.Value, at site, ex []extra) {
			contentsLocal(t, &v.Addr().Interface().(*config.Unit).Contents, at, ex)
		},
	},
	reflect.TypeFor[config.Dropin](): {
		keys: map[string]func(*translator, config.Path) bool{"contents_local": localKeysAllowed},
		apply: func(t *translator, v reflect.Value, at site, ex []extra) {
			contentsLocal(t, &v.Addr().Interface().(*config.Dropin).Contents, at, ex)
		},
	},
	reflect.TypeFor[config.PasswdUser](): {
		keys:  map[string]func(*translator, config.Path) bool{"ssh_authorized_keys_local": localKeysAllowed},
		apply: sshKeysLocal,
	},
	reflect.TypeFor[config.File](): {
		apply: func(t *translator, v reflect.Value, at site, _ []extra) {
			t.checkMode(v.Addr().Interface().(*config.File).Mode, at, false)
		},
	},
	reflect.TypeFor[config.Directory](): {
		apply: func(t *translator, v reflect.Value, at site, _ []extra) {
			t.checkMode(v.Addr().Interface().(*config.Directory).Mode, at, true)
		},
	},
}

// addSugar adds keys to type typ's sugar, with an apply function that is given only those
// keys. Sugar of one type may come from several files (each registers in its init): the
// applies run in the order they were added.
func addSugar(typ reflect.Type, keys map[string]func(*translator, config.Path) bool, apply func(*translator, reflect.Value, site, []extra)) {
	prev := sugars[typ]
	merged := sugar{keys: map[string]func(*translator, config.Path) bool{}}
	for k, f := range prev.keys {
		merged.keys[k] = f
	}
	for k, f := range keys {
		merged.keys[k] = f
	}
	only := func(ex []extra, keys map[string]func(*translator, config.Path) bool) []extra {
		var out []extra
		for _, e := range ex {
			if _, ok := keys[e.name]; ok {
				out = append(out, e)
			}
		}
		return out
	}
	merged.apply = func(t *translator, v reflect.Value, at site, ex []extra) {
		if prev.apply != nil {
			prev.apply(t, v, at, only(ex, prev.keys))
		}
		apply(t, v, at, only(ex, keys))
	}
	sugars[typ] = merged
}

// sourcesAllowed: inline and local are in every resource, except that Butane's fcos 1.0.0 has
// them only for file contents and append.
func sourcesAllowed(t *translator, p config.Path) bool {
	if !t.variant.filesOnlySources {
		return true
	}
	return len(p) >= 2 && p[0] == "storage" && p[1] == "files"
}

func localKeysAllowed(t *translator, _ config.Path) bool { return t.variant.localKeys }

// resourceSugar turns inline or local into a data URL source, compressed when that pays.
func resourceSugar(t *translator, v reflect.Value, at site, extras []extra) {
	if len(extras) == 0 {
		return
	}
	res := v.Addr().Interface().(*config.Resource)
	last := extras[len(extras)-1]
	if len(extras) > 1 || res.Source != nil {
		t.at(config.SeverityError, last.key, at.p.Append("source"), true,
			fmt.Errorf("%w: inline, local, source", ErrTooManySources))
		return
	}
	var data []byte
	switch last.name {
	case "inline":
		s, ok := t.sugarString(last.value, at.p.Append("source"))
		if !ok {
			return
		}
		data = []byte(s)
	case "local":
		var ok bool
		if data, ok = t.readLocal(last.value, at.p.Append("source")); !ok {
			return
		}
	}
	// Compression can be chosen only when the user left it to us and the output has the field.
	compressionSince := config.Supported[0]
	if g, ok := at.gates["compression"]; ok {
		compressionSince = g
	}
	canCompress := res.Compression == nil && !t.emitSpec.LessThan(compressionSince) && !t.decodeSpec.LessThan(compressionSince)
	url := plainDataURL(data, t.variant.percentOnly)
	res.Source = &url
	t.pos.record(at.key+".source", last.value, last.key)
	if !canCompress || t.variant.percentOnly {
		return
	}
	// Written out when not compressed, so that a child config merged over a parent that sets
	// gzip does not inherit it.
	res.Compression = ptr("")
	t.pos.record(at.key+".compression", last.value, last.key)
	if len(url) > minGzipURL+gzipOverhead {
		t.compress = append(t.compress, compressJob{data, res})
	}
}

// contentsLocal fills a unit's or drop-in's contents from contents_local.
func contentsLocal(t *translator, contents **string, at site, extras []extra) {
	if len(extras) == 0 {
		return
	}
	e := extras[0]
	p := at.p.Append("contents")
	if *contents != nil {
		t.at(config.SeverityError, e.key, p, true, fmt.Errorf("%w: contents, contents_local", ErrTooManySources))
		return
	}
	data, ok := t.readLocal(e.value, p)
	if !ok {
		return
	}
	s := string(data)
	*contents = &s
	t.pos.record(at.key+".contents", e.value, e.key)
}

// sshKeysLocal appends the keys of each file in ssh_authorized_keys_local, one per non-empty
// line, after the keys given inline.
func sshKeysLocal(t *translator, v reflect.Value, at site, extras []extra) {
	if len(extras) == 0 {
		return
	}
	u := v.Addr().Interface().(*config.PasswdUser)
	e := extras[0]
	p := at.p.Append("sshAuthorizedKeys")
	list := t.resolve(e.value)
	if list == nil || list.Kind == yaml.ScalarNode && list.Tag == "!!null" {
		return
	}
	if list.Kind != yaml.SequenceNode {
		t.typeError(list, p, "a list")
		return
	}
	listKey := at.key + ".sshAuthorizedKeys"
	if _, ok := t.pos.m[listKey]; !ok {
		t.pos.record(listKey, list, e.key)
	}
	for _, item := range list.Content {
		item = t.resolve(item)
		if item == nil {
			return
		}
		data, ok := t.readLocal(item, p)
		if !ok {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSuffix(line, "\r")
			if line == "" {
				continue
			}
			t.pos.record(listKey+"."+strconv.Itoa(len(u.SSHAuthorizedKeys)), item, nil)
			u.SSHAuthorizedKeys = append(u.SSHAuthorizedKeys, line)
		}
	}
}

// checkMode warns about a mode that was probably meant in octal.
func (t *translator) checkMode(mode *int, at site, dir bool) {
	if mode != nil && decimalMode(*mode, dir) {
		t.rep = append(t.rep, config.Diagnostic{Severity: config.SeverityWarning, Path: at.p.Append("mode"), Err: ErrDecimalMode})
	}
}

// sugarString reads a sugar key's scalar value.
func (t *translator) sugarString(n *yaml.Node, p config.Path) (string, bool) {
	if n = t.resolve(n); n == nil {
		return "", false
	}
	return t.scalarString(n, p)
}

// readLocal reads the file a local key names, reporting problems at the key's value.
func (t *translator) readLocal(n *yaml.Node, p config.Path) ([]byte, bool) {
	rel, ok := t.sugarString(n, p)
	if !ok {
		return nil, false
	}
	data, err := t.files.read(rel)
	if err != nil {
		t.at(config.SeverityError, n, p, false, err)
		return nil, false
	}
	return data, true
}

func ptr[T any](v T) *T { return &v }

// variantFilters refuses output that the variant cannot have even though the model can.
func (t *translator) variantFilters(c *config.Config) {
	if !t.variant.noClevis {
		return
	}
	for i, l := range c.Storage.Luks {
		cl := l.Clevis
		if cl.Custom != (config.ClevisCustom{}) || len(cl.Tang) > 0 || cl.Threshold != nil || cl.Tpm2 != nil {
			t.rep = append(t.rep, config.Diagnostic{Severity: config.SeverityError,
				Path: config.Path{"storage", "luks", i, "clevis"}, OnKey: true, Err: ErrClevisUnsupported})
		}
	}
}
