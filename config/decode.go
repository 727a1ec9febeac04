package config

import (
	"fmt"
	"reflect"
	"strconv"
)

// decoder fills spec structs straight from JSON text that checkDocument accepted, without a
// parse tree. It follows encoding/json's matching (exact key first, then case-insensitive), and
// on top reports unknown keys, fields newer than the document's version (ignored, as the
// reference does), and type errors, positioned at the key or value they are about.
type decoder struct {
	src      *Source
	data     []byte
	pos      int
	shadowed map[int]bool // see docFacts
	version  Version
	rep      *reporter
	path     []pathStep // the path being decoded, a stack shared by all calls
	fold     []byte     // scratch for case-folding keys
}

// pathStep is one element of the decoder's path: an object key, or a list index when key is "".
type pathStep struct {
	key   string
	index int
}

func newDecoder(src *Source, facts docFacts, v Version, r *reporter) *decoder {
	return &decoder{src: src, data: src.data, shadowed: facts.shadowed, version: v, rep: r}
}

// here returns the current path, for a diagnostic to keep.
func (d *decoder) here(extra ...any) Path {
	p := make(Path, 0, len(d.path)+len(extra))
	for _, s := range d.path {
		if s.key == "" {
			p = append(p, s.index)
		} else {
			p = append(p, s.key)
		}
	}
	return append(p, extra...)
}

// report adds a diagnostic about the text at offset off.
func (d *decoder) report(sev Severity, p Path, off int, onKey bool, err error) {
	line, col := d.src.Position(off)
	d.rep.report = append(d.rep.report, Diagnostic{Severity: sev, Path: p, Line: line, Column: col, OnKey: onKey, Err: err})
}

func (d *decoder) space() { d.pos = skipSpace(d.data, d.pos) }

// decodeDocument decodes the whole document into v.
func (d *decoder) decodeDocument(v reflect.Value) {
	d.pos = 0
	d.space()
	d.decode(v, nil)
}

// decode decodes the value at d.pos into v and leaves d.pos after it.
func (d *decoder) decode(v reflect.Value, gates map[string]Version) {
	start := d.pos
	if d.data[start] == 'n' { // null leaves the field unset
		d.pos += len("null")
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		d.decode(nv.Elem(), gates)
		v.Set(nv)
	case reflect.Struct:
		if d.data[start] != '{' {
			d.typeError(start, "an object")
			return
		}
		d.decodeStruct(v, gates)
	case reflect.Slice:
		if d.data[start] != '[' {
			d.typeError(start, "a list")
			return
		}
		d.decodeList(v, gates)
	case reflect.String:
		if d.data[start] != '"' {
			d.typeError(start, "a string")
			return
		}
		v.SetString(d.str())
	case reflect.Bool:
		switch d.data[start] {
		case 't':
			v.SetBool(true)
		case 'f':
			v.SetBool(false)
		default:
			d.typeError(start, "a boolean")
			return
		}
		d.pos = skipValue(d.data, start)
	case reflect.Int:
		if b := d.data[start]; b != '-' && (b < '0' || b > '9') {
			d.typeError(start, "an integer")
			return
		}
		d.pos = skipValue(d.data, start)
		text := string(d.data[start:d.pos])
		i, err := strconv.ParseInt(text, 10, 64)
		if err != nil || int64(int(i)) != i {
			d.report(SeverityError, d.here(), start, false, fmt.Errorf("%w: expected an integer, found %s", ErrType, text))
			return
		}
		v.SetInt(i)
	default:
		panic("config: unsupported field kind " + v.Kind().String())
	}
}

// str reads the string at d.pos.
func (d *decoder) str() string {
	end, plain, _ := scanString(d.data, d.pos)
	lit := d.data[d.pos:end]
	d.pos = end
	if plain {
		return string(lit[1 : len(lit)-1])
	}
	return string(unquote(lit))
}

// decodeList decodes the list at d.pos into slice v, sized once: the elements are counted first.
func (d *decoder) decodeList(v reflect.Value, gates map[string]Version) {
	n := 0
	for i := d.pos + 1; ; n++ {
		i = skipSpace(d.data, i)
		if d.data[i] == ']' {
			break
		}
		i = skipSpace(d.data, skipValue(d.data, i))
		if d.data[i] == ',' {
			i++
		}
	}
	s := reflect.MakeSlice(v.Type(), n, n)
	d.pos++ // [
	d.path = append(d.path, pathStep{})
	for i := range n {
		d.space()
		d.path[len(d.path)-1].index = i
		d.decode(s.Index(i), gates)
		d.space()
		d.pos++ // , or ]
	}
	if n == 0 {
		d.space()
		d.pos++ // ]
	}
	d.path = d.path[:len(d.path)-1]
	v.Set(s)
}

// decodeStruct decodes the object at d.pos into struct v. Members apply in document order, so a
// later member setting the same field wins; a member that a later one of the same name shadows
// is skipped altogether (see docFacts).
func (d *decoder) decodeStruct(v reflect.Value, gates map[string]Version) {
	si := infoOf(v.Type())
	d.pos++ // {
	for {
		d.space()
		if d.data[d.pos] == '}' {
			d.pos++
			return
		}
		if d.data[d.pos] == ',' {
			d.pos++
			d.space()
		}
		keyOff := d.pos
		end, plain, _ := scanString(d.data, keyOff)
		lit := d.data[keyOff:end]
		name := lit[1 : len(lit)-1]
		if !plain {
			name = unquote(lit)
		}
		d.pos = end
		d.space()
		d.pos++ // :
		d.space()
		if d.shadowed[keyOff] {
			d.pos = skipValue(d.data, d.pos)
			continue
		}
		f, exact := si.byName[string(name)], true
		if f == nil {
			f, exact = si.folded[string(d.lower(name))], false
		}
		if f == nil {
			k := string(name)
			d.report(SeverityWarning, d.here(k), keyOff, true, fmt.Errorf("%w %s", ErrUnknownKey, k))
			d.pos = skipValue(d.data, d.pos)
			continue
		}
		if since := f.sinceIn(gates); d.version.LessThan(since) {
			d.report(SeverityWarning, d.here(f.name), keyOff, true,
				fmt.Errorf("%w: %s was introduced in spec %s and is ignored in %s", ErrFieldTooNew, name, since, d.version))
			d.pos = skipValue(d.data, d.pos)
			continue
		}
		if !exact {
			d.report(SeverityWarning, d.here(f.name), keyOff, true,
				fmt.Errorf("%w %s (keys are case-sensitive: did you mean %s?)", ErrUnknownKey, name, f.name))
		}
		d.path = append(d.path, pathStep{key: f.name})
		d.decode(v.FieldByIndex(f.index), f.gates)
		d.path = d.path[:len(d.path)-1]
	}
}

// lower returns name with ASCII letters in lower case, in the decoder's scratch buffer.
func (d *decoder) lower(name []byte) []byte {
	d.fold = d.fold[:0]
	for _, b := range name {
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		d.fold = append(d.fold, b)
	}
	return d.fold
}

func (d *decoder) typeError(off int, want string) {
	d.report(SeverityError, d.here(), off, false, fmt.Errorf("%w: expected %s, found %s", ErrType, want, jsonKindAt(d.data[off])))
	d.pos = skipValue(d.data, off)
}

// jsonKindAt names the kind of JSON value that starts with byte b.
func jsonKindAt(b byte) string {
	switch b {
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case '[':
		return "a list"
	case '{':
		return "an object"
	case 'n':
		return "null"
	}
	return "a number"
}
