package config

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// Marshal writes c as JSON of spec version v: fields in spec order, unset and empty ones left
// out, ignition.version set to v. It fails, naming the fields, when c uses a field that v does
// not have; value-level differences (a sha256 hash in 3.0.0) are Validate's to find.
func Marshal(c *Config, v Version, pretty bool) ([]byte, error) {
	if newer := NewerFields(c, v); len(newer) > 0 {
		return nil, &TooNewError{Version: v, Fields: newer}
	}
	cc := *c
	cc.Ignition.Version = v.String()
	e := encoder{pretty: pretty}
	e.value(reflect.ValueOf(cc), nil)
	if pretty {
		e.buf.WriteByte('\n')
	}
	return e.buf.Bytes(), nil
}

// TooNewError says which fields of a config need a newer spec version than the one asked for.
type TooNewError struct {
	Version Version
	Fields  []FieldVersion
}

// FieldVersion is a field in use and the first spec version that has it.
type FieldVersion struct {
	Path  Path
	Since Version
}

func (e *TooNewError) Error() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "the config cannot be expressed in spec %s:", e.Version)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, " %s needs spec %s;", f.Path, f.Since)
	}
	b.Truncate(b.Len() - 1)
	return b.String()
}

// Unwrap makes the error match ErrFieldTooNew.
func (e *TooNewError) Unwrap() error { return ErrFieldTooNew }

// NewerFields lists the fields set in c that spec version v does not have.
func NewerFields(c *Config, v Version) []FieldVersion {
	var out []FieldVersion
	walkSet(reflect.ValueOf(c).Elem(), nil, nil, func(p Path, f *fieldInfo, since Version) bool {
		if v.LessThan(since) {
			out = append(out, FieldVersion{Path: p, Since: since})
			return false
		}
		return true
	})
	return out
}

// walkSet calls fn for each set field below struct v, depth first; fn returns false to skip
// the field's children.
func walkSet(v reflect.Value, p Path, gates map[string]Version, fn func(Path, *fieldInfo, Version) bool) {
	si := infoOf(v.Type())
	for _, f := range si.fields {
		fv := v.FieldByIndex(f.index)
		if isEmpty(fv) {
			continue
		}
		fp := p.Append(f.name)
		if !fn(fp, f, f.sinceIn(gates)) {
			continue
		}
		walkChildren(fv, fp, f.gates, fn)
	}
}

func walkChildren(v reflect.Value, p Path, gates map[string]Version, fn func(Path, *fieldInfo, Version) bool) {
	switch v.Kind() {
	case reflect.Pointer:
		walkChildren(v.Elem(), p, gates, fn)
	case reflect.Struct:
		walkSet(v, p, gates, fn)
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkChildren(v.Index(i), p.Append(i), gates, fn)
		}
	}
}

// isEmpty reports whether a field is unset: nil pointer, empty list, zero scalar, or a struct
// whose fields are all empty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer:
		return v.IsNil()
	case reflect.Slice:
		return v.Len() == 0
	case reflect.String:
		return v.Len() == 0
	case reflect.Int:
		return v.Int() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Struct:
		for _, f := range infoOf(v.Type()).fields {
			if !isEmpty(v.FieldByIndex(f.index)) {
				return false
			}
		}
		return true
	}
	return false
}

type encoder struct {
	buf    bytes.Buffer
	pretty bool
	depth  int
}

func (e *encoder) newline() {
	if e.pretty {
		e.buf.WriteByte('\n')
		for i := 0; i < e.depth; i++ {
			e.buf.WriteString("  ")
		}
	}
}

func (e *encoder) value(v reflect.Value, _ Path) {
	switch v.Kind() {
	case reflect.Pointer:
		e.value(v.Elem(), nil)
	case reflect.Struct:
		e.buf.WriteByte('{')
		e.depth++
		first := true
		for _, f := range infoOf(v.Type()).fields {
			fv := v.FieldByIndex(f.index)
			if isEmpty(fv) && !f.required {
				continue
			}
			if fv.Kind() == reflect.String && fv.Len() == 0 && f.name != "version" {
				continue
			}
			if !first {
				e.buf.WriteByte(',')
			}
			first = false
			e.newline()
			writeString(&e.buf, f.name)
			e.buf.WriteByte(':')
			if e.pretty {
				e.buf.WriteByte(' ')
			}
			e.value(fv, nil)
		}
		e.depth--
		if !first {
			e.newline()
		}
		e.buf.WriteByte('}')
	case reflect.Slice:
		e.buf.WriteByte('[')
		e.depth++
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			e.newline()
			e.value(v.Index(i), nil)
		}
		e.depth--
		if v.Len() > 0 {
			e.newline()
		}
		e.buf.WriteByte(']')
	case reflect.String:
		writeString(&e.buf, v.String())
	case reflect.Int:
		e.buf.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Bool:
		e.buf.WriteString(strconv.FormatBool(v.Bool()))
	}
}

const hexDigits = "0123456789abcdef"

// writeString writes s as a JSON string, escaping what JSON requires and <, >, & as
// encoding/json does, so output is safe to embed in HTML and matches other tools byte for byte.
func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b.WriteString(s[start:i])
			if r == utf8.RuneError {
				b.WriteString(`\ufffd`)
			} else {
				fmt.Fprintf(b, `\u%04x`, r)
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
