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
