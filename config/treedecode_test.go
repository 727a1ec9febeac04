package config

// The parse-tree decoder and pipeline flint used before decoding streamed, kept as the oracle
// of the differential fuzz test: the streaming decoder must agree with it on every input.

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"

	json "github.com/coreos/go-json"
)

// treeDecoder is the decoder flint had before decoding streamed: it fills spec structs from a JSON parse tree. It follows encoding/json's matching
// (exact key first, then case-insensitive), and on top reports unknown keys, fields newer than
// the document's version (ignored, as the reference does), and type errors at their position.
type treeDecoder struct {
	src     *Source
	version Version
	rep     *reporter
	path    Path // the path being decoded, a stack shared by all calls; copied only for diagnostics
}

func (d *treeDecoder) push(e any) { d.path = append(d.path, e) }
func (d *treeDecoder) pop()       { d.path = d.path[:len(d.path)-1] }

// here returns a copy of the current path, for a diagnostic to keep.
func (d *treeDecoder) here() Path { return slices.Clone(d.path) }

func (d *treeDecoder) decode(n json.Node, v reflect.Value, gates map[string]Version) {
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

func (d *treeDecoder) decodeStruct(n json.Node, v reflect.Value, gates map[string]Version) {
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
			f, exact = si.folded[treeLowerASCII(k)], false
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

func (d *treeDecoder) typeError(n json.Node, want string) {
	d.rep.errorf(d.here(), fmt.Errorf("%w: expected %s, found %s", ErrType, want, treeKind(n.Value)))
}

func treeKind(v any) string {
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

func treeLowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// treeParse is Parse as it was before decoding streamed.
func treeParse(name string, data []byte) (*Parsed, Report) {
	p, rep := treeParseData(data)
	rep.Locate(name, p.sourceOrNil())
	rep.Sort()
	return p, rep
}

func treeParseData(data []byte) (*Parsed, Report) {
	r := &reporter{}
	if len(data) == 0 {
		r.errorf(nil, ErrEmpty)
		return nil, r.report
	}
	if err := notJSONConfig(data); err != nil {
		r.errorf(nil, err)
		return nil, r.report
	}
	src := &Source{data: data, parsed: true}
	if err := json.Unmarshal(data, &src.root); err != nil {
		line, col := src.Position(errorOffset(data, err))
		r.report = append(r.report, Diagnostic{Severity: SeverityError, Line: line, Column: col,
			Err: fmt.Errorf("%w: %s", ErrSyntax, jsonErrorText(err))})
		return nil, r.report
	}
	if _, ok := src.root.Value.(map[string]json.Node); !ok {
		r.errorf(nil, fmt.Errorf("%w: a config is a JSON object, found %s", ErrType, treeKind(src.root.Value)))
		return &Parsed{Source: src}, r.report
	}
	v, err := treeDocumentVersion(src.root)
	if err != nil {
		r.errorf(Path{"ignition", "version"}, err)
		return &Parsed{Source: src}, r.report
	}
	if v.Major == 2 {
		var old v2Config
		d := treeDecoder{src: src, version: v, rep: r}
		d.decode(src.root, reflect.ValueOf(&old).Elem(), nil)
		cfg := translateLegacy(&old, v, r)
		return &Parsed{Config: cfg, Declared: v, Source: src}, r.report
	}
	p := &Parsed{Declared: v, Source: src}
	d := treeDecoder{src: src, version: v, rep: r}
	d.decode(src.root, reflect.ValueOf(&p.Config).Elem(), nil)
	locate(r.report, "", src)
	src.drop()
	r.report = append(r.report, Validate(&p.Config, v)...)
	upTranslate(&p.Config, v)
	return p, r.report
}

// treeDocumentVersion reads ignition.version from the parse tree.
func treeDocumentVersion(root json.Node) (Version, error) {
	ign, _ := child(root, "ignition")
	vn, ok := child(ign, "version")
	s, isString := vn.Value.(string)
	if !ok || !isString {
		return Version{}, fmt.Errorf("%w: ignition.version is missing; supported versions: %s", ErrVersionUnparsable, supportedList())
	}
	return versionOf(s)
}

// drop releases the parse tree, as Parse did once the tree decoder was done with it.
func (s *Source) drop() {
	s.root, s.parsed = json.Node{}, false
}
