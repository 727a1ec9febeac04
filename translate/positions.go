package translate

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/flint-provision/flint/config"
)

// Positions maps every JSON path of the translated config to the place in the YAML it came
// from: a copied field to its own value, generated output (a data URL made from inline text,
// keys read from a local file) to the sugar that produced it. It implements config.Locator, so
// diagnostics found on the output point at the user's YAML.
type Positions struct {
	m map[string]position
	// parent and merged are set when sugar generated a parent config that was merged under
	// the user's: merged says which input each output path came from, parent holds the
	// positions of the generated side (its paths are those of the generated config).
	parent *Positions
	merged *config.TranscriptIndex
}

// position is where a value, and the key that introduced it, start in the YAML.
type position struct {
	line, col       int32
	keyLine, keyCol int32
}

func newPositions() *Positions { return &Positions{m: map[string]position{}} }

// record notes that the output at path key came from value (introduced by keyNode, if any).
func (ps *Positions) record(key string, value, keyNode *yaml.Node) {
	pos := position{line: int32(value.Line), col: int32(value.Column)}
	if keyNode != nil {
		pos.keyLine, pos.keyCol = int32(keyNode.Line), int32(keyNode.Column)
	}
	ps.m[key] = pos
}

// Locate implements config.Locator: the position of p, or of its deepest ancestor that the
// translation produced. onKey asks for the key that introduced p rather than its value.
func (ps *Positions) Locate(p config.Path, onKey bool) (line, col int, ok bool) {
	if ps == nil {
		return 0, 0, false
	}
	if ps.merged != nil {
		if from, in, ok := ps.merged.Lookup(p); ok {
			if from == config.FromParent {
				if line, col, ok := ps.parent.locate(in, onKey); ok {
					return line, col, true
				}
			} else {
				p = in
			}
		}
	}
	return ps.locate(p, onKey)
}

// locate finds p in this map alone.
func (ps *Positions) locate(p config.Path, onKey bool) (line, col int, ok bool) {
	for n := len(p); n >= 0; n-- {
		pos, found := ps.m[pathKey(p[:n])]
		if !found {
			continue
		}
		if onKey && n == len(p) && pos.keyLine > 0 {
			return int(pos.keyLine), int(pos.keyCol), true
		}
		return int(pos.line), int(pos.col), true
	}
	return 0, 0, false
}

// Len is the number of recorded output paths.
func (ps *Positions) Len() int { return len(ps.m) }

// pathKey renders p as the map key: the same text as config.Path.String.
func pathKey(p config.Path) string {
	var b strings.Builder
	b.WriteByte('$')
	for _, e := range p {
		b.WriteByte('.')
		switch e := e.(type) {
		case int:
			b.WriteString(strconv.Itoa(e))
		case string:
			b.WriteString(e)
		}
	}
	return b.String()
}
