package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	json "github.com/coreos/go-json"
)

// Parsed is a config read from JSON: the model (always of the newest spec), the version the
// document declared, and its source for positioning later diagnostics.
type Parsed struct {
	Config Config
	// Declared is the spec version the document declared.
	Declared Version
	// Source positions diagnostics in the original text.
	Source *Source
}

// Parse reads a JSON config of any supported spec version (3.0.0–3.6.0, and 2.0.0–2.3.0 which is
// translated), validates it with the rules of its own version, and returns it translated to
// the newest spec. name is the file name used in diagnostics. The report holds every
// diagnostic, positioned; Parsed is nil when the document could not be read at all, and
// callers must treat a report with errors as an invalid config.
func Parse(name string, data []byte) (*Parsed, Report) {
	p, rep := parse(data)
	rep.Locate(name, p.sourceOrNil())
	rep.Sort()
	return p, rep
}

func (p *Parsed) sourceOrNil() Locator {
	if p == nil || p.Source == nil {
		return nil
	}
	return p.Source
}

func parse(data []byte) (*Parsed, Report) {
	r := &reporter{}
	if len(data) == 0 {
		r.errorf(nil, ErrEmpty)
		return nil, r.report
	}
	if err := notJSONConfig(data); err != nil {
		r.errorf(nil, err)
		return nil, r.report
	}
	src := &Source{data: data}
	facts, ok := checkDocument(data)
	if !ok {
		// Not a JSON object that can be decoded: go-json says what is wrong, so that syntax
		// errors keep their exact message and offset.
		return parseFailure(src, r)
	}
	v, err := documentVersion(data, facts.ignition)
	if err != nil {
		r.errorf(Path{"ignition", "version"}, err)
		return &Parsed{Source: src}, r.report
	}
	d := newDecoder(src, facts, v, r)
	if v.Major == 2 {
		cfg := parseLegacy(d)
		return &Parsed{Config: cfg, Declared: v, Source: src}, r.report
	}
	p := &Parsed{Declared: v, Source: src}
	d.decodeDocument(reflect.ValueOf(&p.Config).Elem())
	r.report = append(r.report, Validate(&p.Config, v)...)
	upTranslate(&p.Config, v)
	return p, r.report
}

// parseFailure reports why data, which checkDocument refused, is not a config.
func parseFailure(src *Source, r *reporter) (*Parsed, Report) {
	var root json.Node
	if err := json.Unmarshal(src.data, &root); err != nil {
		line, col := src.Position(errorOffset(src.data, err))
		r.report = append(r.report, Diagnostic{Severity: SeverityError, Line: line, Column: col,
			Err: fmt.Errorf("%w: %s", ErrSyntax, jsonErrorText(err))})
		return nil, r.report
	}
	kind := "a JSON object that flint cannot read"
	switch root.Value.(type) {
	case string:
		kind = "a string"
	case float64:
		kind = "a number"
	case bool:
		kind = "a boolean"
	case []json.Node:
		kind = "a list"
	case nil:
		kind = "null"
	}
	r.errorf(nil, fmt.Errorf("%w: a config is a JSON object, found %s", ErrType, kind))
	return &Parsed{Source: src}, r.report
}

// upTranslate turns a config of version v into the newest spec: fields that did not exist in
// v were never decoded, so only changed meanings need work.
func upTranslate(c *Config, v Version) {
	if v.LessThan(mustVersion("3.6.0")) {
		// Before 3.6.0 the setuid, setgid and sticky bits had no effect; they are dropped.
		for i := range c.Storage.Files {
			dropSpecialBits(c.Storage.Files[i].Mode)
		}
		for i := range c.Storage.Directories {
			dropSpecialBits(c.Storage.Directories[i].Mode)
		}
	}
	c.Ignition.Version = Newest.String()
}

func dropSpecialBits(m *int) {
	if m != nil {
		*m &^= 0o7000
	}
}

// documentVersion reads ignition.version, given the offset of the ignition value (-1 when there
// is none). Members are looked up as a parse tree would: the exact name, else one that matches
// ignoring case.
func documentVersion(data []byte, ignition int) (Version, error) {
	at := -1
	if ignition >= 0 && data[ignition] == '{' {
		at = memberValue(data, ignition, "version")
	}
	if at < 0 || data[at] != '"' {
		return Version{}, fmt.Errorf("%w: ignition.version is missing; supported versions: %s", ErrVersionUnparsable, supportedList())
	}
	end, _, _ := scanString(data, at)
	return versionOf(string(unquote(data[at:end])))
}

// versionOf parses a declared version, 3.x or 2.x.
func versionOf(s string) (Version, error) {
	v, err := ParseVersion(s)
	if err == nil {
		return v, nil
	}
	for _, l := range SupportedLegacy {
		if l.String() == s {
			return l, nil
		}
	}
	return Version{}, err
}

// memberValue returns the offset of the value of member name in the valid JSON object at
// data[obj], -1 when there is none: the last member named exactly so, else the first whose name
// matches ignoring case.
func memberValue(data []byte, obj int, name string) int {
	exact, folded := -1, -1
	i := obj + 1
	for {
		i = skipSpace(data, i)
		if data[i] == '}' {
			break
		}
		if data[i] == ',' {
			i = skipSpace(data, i+1)
		}
		end, _, _ := scanString(data, i)
		key := string(unquote(data[i:end]))
		i = skipSpace(data, end) + 1 // :
		i = skipSpace(data, i)
		if key == name {
			exact = i
		} else if folded < 0 && strings.EqualFold(key, name) {
			folded = i
		}
		i = skipValue(data, i)
	}
	if exact >= 0 {
		return exact
	}
	return folded
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// notJSONConfig recognises user data that is not a config at all, so the error can say what it is.
func notJSONConfig(data []byte) error {
	switch {
	case bytes.HasPrefix(data, []byte("#cloud-config")):
		return ErrCloudConfig
	case bytes.HasPrefix(data, []byte("#!")):
		return ErrScript
	}
	return nil
}

// errorOffset is the byte offset a JSON error is about: the offending byte of a syntax error,
// the first byte of a number that does not fit.
func errorOffset(data []byte, err error) int {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return int(se.Offset) - 1
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		off := min(int(te.Offset), len(data))
		if i := bytes.LastIndex(data[:off], []byte(strings.TrimPrefix(te.Value, "number "))); i >= 0 {
			return i
		}
		return off
	}
	return 0
}

func jsonErrorText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Value + " is out of range"
	}
	return err.Error()
}
