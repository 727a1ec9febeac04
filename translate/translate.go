// Package translate turns the human YAML form of a config (flint's own variant, and Butane's
// fcos and flatcar variants) into the config model and versioned JSON. One generic walker maps
// snake_case YAML keys onto the model's fields through config's field tables; the few keys that
// are sugar (inline and local contents, *_local keys) are handled per model type in sugar.go.
// Every output path is remembered with the YAML node it came from (Positions), so diagnostics
// found after translation still point at the user's YAML.
package translate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/flint-provision/flint/config"
)

// Options control a translation.
type Options struct {
	// FilesDir is the directory that local and *_local keys are relative to; empty forbids them.
	FilesDir string
	// Spec is the spec version to emit; the zero Version means the variant's own.
	Spec config.Version
	// Pretty indents the JSON output.
	Pretty bool
}

// Result is a translated config.
type Result struct {
	// Variant is the document's variant and version.
	Variant Variant
	// Spec is the spec version of the output.
	Spec config.Version
	// Config is the translated model.
	Config config.Config
	// Positions maps output paths to YAML positions.
	Positions *Positions
	// JSON is the output, or nil when the report has errors.
	JSON []byte
}

// Translate reads a YAML config and translates it. name is the file name used in diagnostics.
// The report holds every diagnostic, positioned in the YAML; Result is nil when the document
// could not be read at all (syntax error, unknown variant), and its JSON is nil when the report
// has errors.
func Translate(name string, data []byte, opts Options) (*Result, config.Report) {
	res, rep := translate(data, opts)
	var loc config.Locator
	if res != nil {
		loc = res.Positions
	}
	rep.Locate(name, loc)
	rep.Sort()
	if res != nil && !rep.HasErrors() {
		out, err := config.Marshal(&res.Config, res.Spec, opts.Pretty)
		if err != nil { // Marshal fails only for too-new fields, which translate has checked.
			rep = append(rep, config.Diagnostic{Severity: config.SeverityError, File: name, Err: err})
			return res, rep
		}
		res.JSON = out
	}
	return res, rep
}

func translate(data []byte, opts Options) (*Result, config.Report) {
	root, rep := parseYAML(data)
	if root == nil {
		return nil, rep
	}
	vr, d := readVariant(root)
	if d != nil {
		return nil, append(rep, *d)
	}
	emit := vr.Spec
	if opts.Spec.Major != 0 {
		emit = opts.Spec
	}
	decodeSpec := vr.Spec
	if vr.Name == "flint" {
		// flint's own variant describes the newest model; --spec only picks the output version.
		decodeSpec = config.Newest
	}
	t := &translator{
		variant:    vr,
		decodeSpec: decodeSpec,
		emitSpec:   emit,
		pos:        newPositions(),
		files:      &filesDir{dir: opts.FilesDir},
		budget:     10*len(data) + 100_000,
		rep:        rep,
	}
	res := &Result{Variant: vr, Spec: emit, Positions: t.pos}
	t.value(root, reflect.ValueOf(&res.Config).Elem(), nil, "$", nil, nil)
	compressAll(t.compress)
	t.mergeGenerated(&res.Config)
	t.variantFilters(&res.Config)
	res.Config.Ignition.Version = emit.String()
	t.rep = append(t.rep, config.Validate(&res.Config, emit)...)
	for _, f := range config.NewerFields(&res.Config, emit) {
		t.rep = append(t.rep, config.Diagnostic{Severity: config.SeverityError, Path: f.Path, OnKey: true,
			Err: fmt.Errorf("%w: %s needs spec %s; the output is spec %s", config.ErrFieldTooNew, f.Path, f.Since, emit)})
	}
	return res, t.rep
}

// yamlLine finds the line number in yaml.v3's error text; errors on the first line carry none.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parseYAML reads the one YAML document in data and returns its root node.
func parseYAML(data []byte) (*yaml.Node, config.Report) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, config.Report{{Severity: config.SeverityError, Err: config.ErrEmpty}}
		}
		return nil, config.Report{syntaxError(data, err)}
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, config.Report{syntaxError(data, err)}
	default:
		return nil, config.Report{{Severity: config.SeverityError, Line: next.Line, Column: next.Column, Err: ErrMultipleDocuments}}
	}
	if len(doc.Content) == 0 {
		return nil, config.Report{{Severity: config.SeverityError, Err: config.ErrEmpty}}
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, config.Report{{Severity: config.SeverityError, Err: config.ErrEmpty}}
	}
	if root.Kind != yaml.MappingNode {
		return nil, config.Report{{Severity: config.SeverityError, Line: root.Line, Column: root.Column,
			Err: fmt.Errorf("%w: a config is a YAML mapping, found %s", config.ErrType, kindOf(root))}}
	}
	return root, nil
}

// syntaxError positions a yaml.v3 error. yaml.v3 names the line where the enclosing
// construct began (the block mapping that holds the bad key), not the line of the problem, and
// no column; so the problem line is searched for (see problemLine), and the column is the
// line's first non-blank character.
func syntaxError(data []byte, err error) config.Diagnostic {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	lines := lineStarts(data)
	line := 1
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = strings.TrimPrefix(err.Error(), m[0])
	}
	line = min(max(problemLine(data, lines, line), 1), len(lines))
	start, end := lines[line-1], len(data)
	if line < len(lines) {
		end = lines[line]
	}
	text := data[start:end]
	col := len(text) - len(bytes.TrimLeft(text, " \t")) + 1
	return config.Diagnostic{Severity: config.SeverityError, Line: line, Column: col,
		Err: fmt.Errorf("%w: %s", ErrSyntax, msg)}
}

func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' && i+1 < len(data) {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// problemLine finds the first line at or after the reported one whose addition makes the
// document fail to parse: block YAML cut at a line boundary is still YAML, so the prefixes
// that parse and those that do not are split at the problem. A binary search costs a few
// parses, on the error path only. When the split is not clean (a flow collection or quoted
// scalar spanning lines) the reported line is kept.
func problemLine(data []byte, starts []int, reported int) int {
	n := len(starts)
	prefixParses := func(l int) bool { // the first l lines
		end := len(data)
		if l < n {
			end = starts[l]
		}
		dec := yaml.NewDecoder(bytes.NewReader(data[:end]))
		for {
			var doc yaml.Node
			if err := dec.Decode(&doc); err != nil {
				return errors.Is(err, io.EOF)
			}
		}
	}
	if reported < 1 || reported > n || !prefixParses(reported-1) {
		return reported
	}
	lo, hi := reported, n // the answer is in [lo, hi]; prefix hi fails
	for lo < hi {
		mid := (lo + hi) / 2
		if prefixParses(mid) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// readVariant reads the variant and version keys at the top of the document.
func readVariant(root *yaml.Node) (Variant, *config.Diagnostic) {
	var name, version string
	var nameNode, versionNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch k, v := root.Content[i], root.Content[i+1]; k.Value {
		case "variant":
			name, nameNode = v.Value, v
		case "version":
			version, versionNode = v.Value, v
		}
	}
	at := func(n *yaml.Node, err error) *config.Diagnostic {
		return &config.Diagnostic{Severity: config.SeverityError, Line: n.Line, Column: n.Column, Err: err}
	}
	if nameNode == nil || nameNode.Kind != yaml.ScalarNode || name == "" {
		return Variant{}, at(orNode(nameNode, root), ErrNoVariant)
	}
	if versionNode == nil || versionNode.Kind != yaml.ScalarNode {
		return Variant{}, at(orNode(versionNode, root), ErrBadVersion)
	}
	vr, err := lookupVariant(name, version)
	if err != nil {
		n := nameNode
		if errors.Is(err, ErrBadVersion) {
			n = versionNode
		}
		return Variant{}, at(n, err)
	}
	return vr, nil
}

func orNode(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}

// translator walks the YAML tree and the model's type tree together.
type translator struct {
	variant Variant
	// decodeSpec is the spec whose fields the variant's YAML has; newer keys are ignored with a
	// warning, as in Butane, where each variant version only knows its own spec's fields.
	decodeSpec config.Version
	// emitSpec is the spec of the output; sugar generates only what it can express.
	emitSpec config.Version
	pos      *Positions
	files    *filesDir
	rep      config.Report
	// compress lists the contents to try gzip on once the walk is done.
	compress []compressJob
	// budget bounds the nodes visited, so that aliases cannot expand a small document into an
	// enormous walk.
	budget int
	// gen is what sugar generates as a parent config of the user's (see generated.go).
	gen generated
}

// at reports a diagnostic positioned at node n.
func (t *translator) at(sev config.Severity, n *yaml.Node, p config.Path, onKey bool, err error) {
	t.rep = append(t.rep, config.Diagnostic{Severity: sev, Line: n.Line, Column: n.Column, Path: p, OnKey: onKey, Err: err})
}

// value decodes node n into v, the model value at path p (key is its position-map key and
// keyNode the YAML key that introduced it). It reports false when nothing was set.
func (t *translator) value(n *yaml.Node, v reflect.Value, p config.Path, key string, keyNode *yaml.Node, gates map[string]config.Version) bool {
	n = t.resolve(n)
	if n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return false
	}
	t.pos.record(key, n, keyNode)
	return t.into(n, v, p, key, gates)
}

// resolve follows aliases and charges the visit to the budget; nil means stop.
func (t *translator) resolve(n *yaml.Node) *yaml.Node {
	if t.budget <= 0 {
		return nil
	}
	t.budget--
	if t.budget == 0 {
		t.at(config.SeverityError, n, nil, false, ErrAliasBudget)
		return nil
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func (t *translator) into(n *yaml.Node, v reflect.Value, p config.Path, key string, gates map[string]config.Version) bool {
	switch v.Kind() {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		if !t.into(n, nv.Elem(), p, key, gates) {
			return false
		}
		v.Set(nv)
		return true
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return t.typeError(n, p, "a mapping")
		}
		t.structure(n, v, p, key, gates)
		return true
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return t.typeError(n, p, "a list")
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, e := range n.Content {
			// A list's gates apply to each entry (merge entries gain compression in 3.1.0).
			t.value(e, s.Index(i), p.Append(i), key+"."+strconv.Itoa(i), nil, gates)
		}
		v.Set(s)
		return true
	case reflect.String:
		s, ok := t.scalarString(n, p)
		if ok {
			v.SetString(s)
		}
		return ok
	case reflect.Bool:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" && (n.Value == "true" || n.Value == "false") {
			v.SetBool(n.Value == "true")
			return true
		}
		var b bool
		if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
			return t.typeError(n, p, "a boolean")
		}
		v.SetBool(b)
		return true
	case reflect.Int:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!int" && plainDecimal(n.Value) {
			if i, err := strconv.Atoi(n.Value); err == nil {
				v.SetInt(int64(i))
				return true
			}
		}
		var i int
		if n.Kind != yaml.ScalarNode || n.Decode(&i) != nil {
			return t.typeError(n, p, "an integer")
		}
		v.SetInt(int64(i))
		return true
	}
	panic("translate: unsupported field kind " + v.Kind().String())
}

// scalarString reads a scalar as text. Like yaml.v3 decoding into a string, any scalar is
// accepted as written (version: 1.0 is "1.0"), and !!binary is decoded.
func (t *translator) scalarString(n *yaml.Node, p config.Path) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		return "", t.typeError(n, p, "a string")
	}
	if n.Tag != "!!binary" {
		return n.Value, true
	}
	var s string
	if err := n.Decode(&s); err != nil {
		return "", t.typeError(n, p, "a string")
	}
	return s, true
}

// plainDecimal reports whether s is a decimal integer without a leading zero or underscores,
// the common case that strconv reads exactly as YAML does.
func plainDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (t *translator) typeError(n *yaml.Node, p config.Path, want string) bool {
	t.at(config.SeverityError, n, p, false, fmt.Errorf("%w: expected %s, found %s", config.ErrType, want, kindOf(n)))
	return false
}

func kindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!int", "!!float":
			return "a number (" + n.Value + ")"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "null"
		}
		return "a string"
	}
	return "a YAML node"
}

// pair is one key and value of a mapping, after merge keys are applied.
type pair struct{ key, value *yaml.Node }

// pairs lists the entries of mapping n: its own keys in order, then those brought in by merge
// keys (<<) that it does not set itself. A key written twice is an error.
func (t *translator) pairs(n *yaml.Node) []pair {
	out := make([]pair, 0, len(n.Content)/2)
	var merges []*yaml.Node
	var seen map[string]bool
	if len(n.Content) > 32 {
		seen = make(map[string]bool, len(n.Content)/2)
	}
	has := func(k string) bool {
		if seen != nil {
			return seen[k]
		}
		for _, q := range out {
			if q.key.Value == k {
				return true
			}
		}
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if has(k.Value) {
			t.at(config.SeverityError, k, nil, true, fmt.Errorf("%w %s", ErrDuplicateKey, k.Value))
			continue
		}
		if seen != nil {
			seen[k.Value] = true
		}
		out = append(out, pair{k, v})
	}
	own := len(out)
	for _, m := range merges {
		if m = t.resolve(m); m == nil {
			continue
		}
		sources := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		}
		for _, s := range sources {
			if s = t.resolve(s); s == nil {
				continue
			}
			if s.Kind != yaml.MappingNode {
				t.typeError(s, nil, "a mapping to merge")
				continue
			}
			for _, q := range t.pairs(s) {
				if !hasKey(out[:own], q.key.Value) && !hasKey(out[own:], q.key.Value) {
					out = append(out, q)
				}
			}
		}
	}
	return out
}

func hasKey(ps []pair, k string) bool {
	for _, q := range ps {
		if q.key.Value == k {
			return true
		}
	}
	return false
}

// extra is a sugar key found in a mapping.
type extra struct {
	name       string
	key, value *yaml.Node
}

// site is where a struct sits in the output: its path, position-map key and gates.
type site struct {
	p     config.Path
	key   string
	gates map[string]config.Version
}

// structure decodes mapping n into struct v.
func (t *translator) structure(n *yaml.Node, v reflect.Value, p config.Path, key string, gates map[string]config.Version) {
	ys := yamlStructOf(v.Type())
	sg := sugars[v.Type()]
	var extras []extra
	for _, q := range t.pairs(n) {
		name := q.key.Value
		if ys.skip[name] || strings.HasPrefix(name, "x-") {
			continue
		}
		if i, ok := ys.bySnake[name]; ok {
			f := &ys.fields[i]
			fp := p.Append(f.Name)
			if since := f.SinceIn(gates); t.decodeSpec.LessThan(since) {
				t.at(config.SeverityWarning, q.key, fp, true, fmt.Errorf("%w: %s was introduced in spec %s and is ignored by %s %s",
					config.ErrFieldTooNew, name, since, t.variant.Name, t.variant.Version))
				continue
			}
			t.value(q.value, v.FieldByIndex(f.Index), fp, key+"."+f.Name, q.key, f.Gates)
			continue
		}
		if allowed, ok := sg.keys[name]; ok && allowed(t, p) {
			extras = append(extras, extra{name, q.key, q.value})
			continue
		}
		if ys.notImplemented[name] {
			t.at(config.SeverityError, q.key, p.Append(name), true, fmt.Errorf("%w: %s", ErrNotImplemented, name))
			continue
		}
		err := fmt.Errorf("%w %s", config.ErrUnknownKey, name)
		if i, ok := ys.byJSON[name]; ok {
			err = fmt.Errorf("%w %s (YAML keys are snake_case: did you mean %s?)", config.ErrUnknownKey, name, ys.snake[i])
		}
		t.at(config.SeverityWarning, q.key, p.Append(name), true, err)
	}
	if sg.apply != nil {
		sg.apply(t, v, site{p, key, gates}, extras)
	}
}

// yamlStruct is the YAML view of a model struct: its fields by snake_case key.
type yamlStruct struct {
	fields  []config.FieldInfo
	snake   []string
	bySnake map[string]int
	byJSON  map[string]int // camelCase keys, to suggest the snake_case spelling
	// skip lists keys read elsewhere (variant and version at the top).
	skip map[string]bool
	// notImplemented lists Butane sugar keys that flint does not translate yet; they are
	// errors, since ignoring them would silently drop what the user asked for.
	notImplemented map[string]bool
}

var yamlStructs sync.Map // reflect.Type → *yamlStruct

// excluded are model fields that the YAML does not have: the output version is implied by the
// variant.
var excluded = map[reflect.Type]string{reflect.TypeFor[config.Ignition](): "version"}

var (
	topKeys         = map[string]bool{"variant": true, "version": true}
	unimplementedIn = map[reflect.Type][]string{
		reflect.TypeFor[config.Systemd](): {"quadlets"},
	}
)

func yamlStructOf(t reflect.Type) *yamlStruct {
	if ys, ok := yamlStructs.Load(t); ok {
		return ys.(*yamlStruct)
	}
	ys := &yamlStruct{bySnake: map[string]int{}, byJSON: map[string]int{}, notImplemented: map[string]bool{}}
	for _, f := range config.Fields(t) {
		if excluded[t] == f.Name {
			continue
		}
		i := len(ys.fields)
		ys.fields = append(ys.fields, f)
		s := snakeCase(f.Name)
		ys.snake = append(ys.snake, s)
		ys.bySnake[s] = i
		if s != f.Name {
			ys.byJSON[f.Name] = i
		}
	}
	if t == reflect.TypeFor[config.Config]() {
		ys.skip = topKeys
	}
	for _, k := range unimplementedIn[t] {
		ys.notImplemented[k] = true
	}
	actual, _ := yamlStructs.LoadOrStore(t, ys)
	return actual.(*yamlStruct)
}

// snakeCase spells a camelCase JSON key the way the YAML does: sizeMiB is size_mib,
// httpResponseHeaders is http_response_headers. MiB is one word.
func snakeCase(s string) string {
	s = strings.ReplaceAll(s, "MiB", "Mib")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			prevLower := i > 0 && ('a' <= s[i-1] && s[i-1] <= 'z' || '0' <= s[i-1] && s[i-1] <= '9')
			nextLower := i > 0 && i+1 < len(s) && 'a' <= s[i+1] && s[i+1] <= 'z' && 'A' <= s[i-1] && s[i-1] <= 'Z'
			if prevLower || nextLower {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// IsYAML tells a YAML config from a JSON one by content: a JSON config is an object, so its
// first non-blank character is '{'. Empty input, cloud-configs and scripts count as not YAML
// (the JSON parser names what they are).
func IsYAML(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && t[0] != '{' && !bytes.HasPrefix(t, []byte("#cloud-config")) && !bytes.HasPrefix(t, []byte("#!"))
}
