package config

import (
	"sort"
	"strings"
	"unicode/utf8"

	json "github.com/coreos/go-json"
)

// Locator turns a JSON path into a line and column in the text a config came from. JSON
// sources implement it with their parse tree; the YAML translator with its position map.
type Locator interface {
	// Locate returns the 1-based line and column of the value at p (of its key when onKey is
	// set), or of its nearest ancestor that exists in the text; ok is false when nothing matches.
	Locate(p Path, onKey bool) (line, col int, ok bool)
}

// Source is a JSON text and, once Locate needed it, its parse tree with byte offsets. The tree
// is large (several times the text), so decoding reads the text without it and positions its
// own diagnostics; only a later diagnostic (from validation) makes Locate parse the text.
type Source struct {
	data   []byte
	root   json.Node
	parsed bool
	lines  []int // byte offsets of line starts, built on first use
}

// tree returns the parse tree, parsing the text on first use.
func (s *Source) tree() json.Node {
	if !s.parsed {
		if json.Unmarshal(s.data, &s.root) == nil {
			s.parsed = true
		}
	}
	return s.root
}

// Position returns the 1-based line and column (in characters) of byte offset off.
func (s *Source) Position(off int) (line, col int) {
	return positionIn(s.data, &s.lines, off)
}

// positionIn computes a 1-based line and character column of off in data, caching line starts.
func positionIn(data []byte, lines *[]int, off int) (line, col int) {
	if *lines == nil {
		ls := []int{0}
		for i, c := range data {
			if c == '\n' {
				ls = append(ls, i+1)
			}
		}
		*lines = ls
	}
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	i := sort.Search(len(*lines), func(i int) bool { return (*lines)[i] > off }) - 1
	start := (*lines)[i]
	return i + 1, utf8.RuneCount(data[start:off]) + 1
}

// Locate implements Locator over the JSON parse tree.
func (s *Source) Locate(p Path, onKey bool) (int, int, bool) {
	if s == nil {
		return 0, 0, false
	}
	n := s.tree()
	complete := true
	for _, e := range p {
		next, ok := child(n, e)
		if !ok {
			complete = false
			break
		}
		n = next
	}
	off := nodeStart(n)
	if onKey && complete && len(p) > 0 && n.KeyEnd > n.KeyStart {
		off = n.KeyStart
	}
	line, col := s.Position(off)
	return line, col, true
}

// nodeStart is the offset where a node's text begins; go-json records composite values
// after their opening bracket.
func nodeStart(n json.Node) int {
	switch n.Value.(type) {
	case map[string]json.Node, []json.Node:
		if n.Start > 0 {
			return n.Start - 1
		}
	}
	return n.Start
}

func child(n json.Node, e any) (json.Node, bool) {
	switch e := e.(type) {
	case string:
		m, ok := n.Value.(map[string]json.Node)
		if !ok {
			return json.Node{}, false
		}
		if c, ok := m[e]; ok {
			return c, true
		}
		for k, c := range m {
			if strings.EqualFold(k, e) {
				return c, true
			}
		}
	case int:
		l, ok := n.Value.([]json.Node)
		if ok && e >= 0 && e < len(l) {
			return l[e], true
		}
	}
	return json.Node{}, false
}

// locate fills in the file, line and column of every diagnostic that has none.
func locate(r Report, file string, loc Locator) {
	for i := range r {
		d := &r[i]
		if d.File == "" {
			d.File = file
		}
		if d.Line != 0 || loc == nil {
			continue
		}
		if line, col, ok := loc.Locate(d.Path, d.OnKey); ok {
			d.Line, d.Column = line, col
		}
	}
}

// Locate fills in file, line and column of the report's diagnostics from loc.
func (r Report) Locate(file string, loc Locator) { locate(r, file, loc) }
