package config

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"

	json "github.com/coreos/go-json"
)

// decoder fills spec structs from a JSON parse tree. It follows encoding/json's matching
// (exact key first, then case-insensitive), and on top reports unknown keys, fields newer than
// the document's version (ignored, as the reference does), and type errors at their position.
type decoder struct {
	src     *Source
	version Version
	rep     *reporter
	path    Path // the path being decoded, a stack shared by all calls; copied only for diagnostics
}

func (d *decoder) push(e any) { d.path = append(d.path, e) }
func (d *decoder) pop()       { d.path = d.path[:len(d.path)-1] }

// here returns a copy of the current path, for a diagnostic to keep.
func (d *decoder) here() Path { return slices.Clone(d.path) }

func (d *decoder) decode(n json.Node, v reflect.Value, gates map[string]Version) {
	if n.Value == nil { // null leaves the field unset
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		d.decode(n, nv.Elem(), gates)
		v.Set(nv)
	case reflect.Struct:
		d.decodeStruct(n, v, gates)
	case reflect.Slice:
		list, ok := n.Value.([]json.Node)
		if !ok {
			d.typeError(n, "a list")
			return
		}
		s := reflect.MakeSlice(v.Type(), len(list), len(list))
		for i, e := range list {
			d.push(i)
			d.decode(e, s.Index(i), gates)
			d.pop()
		}
		v.Set(s)
	case reflect.String:
		s, ok := n.Value.(string)
		if !ok {
			d.typeError(n, "a string")
			return
		}
		v.SetString(s)
	case reflect.Bool:
		b, ok := n.Value.(bool)
		if !ok {
			d.typeError(n, "a boolean")
			return
		}
		v.SetBool(b)
	case reflect.Int:
		if _, ok := n.Value.(float64); !ok {
			d.typeError(n, "an integer")
			return
		}
		text := string(d.src.data[n.Start : n.End+1])
		i, err := strconv.ParseInt(text, 10, 64)
		if err != nil || int64(int(i)) != i {
			d.rep.errorf(d.here(), fmt.Errorf("%w: expected an integer, found %s", ErrType, text))
			return
		}
		v.SetInt(i)
	default:
		panic("config: unsupported field kind " + v.Kind().String())
	}
}

func (d *decoder) decodeStruct(n json.Node, v reflect.Value, gates map[string]Version) {
	obj, ok := n.Value.(map[string]json.Node)
	if !ok {
		d.typeError(n, "an object")
		return
	}
	si := infoOf(v.Type())
	// encoding/json applies keys in document order; a later duplicate wins.
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return obj[a].KeyStart - obj[b].KeyStart })
	for _, k := range keys {
		c := obj[k]
		f, exact := si.byName[k], true
		if f == nil {
			f, exact = si.folded[lowerASCII(k)], false
		}
		if f == nil {
			d.rep.report = append(d.rep.report, Diagnostic{Severity: SeverityWarning, Path: d.here().Append(k), OnKey: true,
				Err: fmt.Errorf("%w %s", ErrUnknownKey, k)})
			continue
		}
		if since := f.sinceIn(gates); d.version.LessThan(since) {
			d.rep.report = append(d.rep.report, Diagnostic{Severity: SeverityWarning, Path: d.here().Append(f.name), OnKey: true,
				Err: fmt.Errorf("%w: %s was introduced in spec %s and is ignored in %s", ErrFieldTooNew, k, since, d.version)})
			continue
		}
		if !exact {
			d.rep.report = append(d.rep.report, Diagnostic{Severity: SeverityWarning, Path: d.here().Append(f.name), OnKey: true,
				Err: fmt.Errorf("%w %s (keys are case-sensitive: did you mean %s?)", ErrUnknownKey, k, f.name)})
		}
		d.push(f.name)
		d.decode(c, v.FieldByIndex(f.index), f.gates)
		d.pop()
	}
}

func (d *decoder) typeError(n json.Node, want string) {
	d.rep.errorf(d.here(), fmt.Errorf("%w: expected %s, found %s", ErrType, want, jsonKind(n.Value)))
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []json.Node:
		return "a list"
	case map[string]json.Node:
		return "an object"
	}
	return "null"
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
