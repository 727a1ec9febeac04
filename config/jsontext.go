package config

import (
	"bytes"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// JSON text is read in two passes without building a parse tree (which is several times the size
// of the text). The first, checkDocument, only checks that the text is JSON as encoding/json (and
// go-json, its fork that positions values) understands it, and notes the few facts decoding needs
// beforehand; the second, the decoder, walks the text once more and fills the spec structs.

// maxJSONDepth is encoding/json's nesting limit; deeper documents are refused.
const maxJSONDepth = 10000

// docFacts is what the first pass learns about a document that is a JSON object.
type docFacts struct {
	// ignition is the offset of the root's "ignition" value, -1 when there is none: the member
	// named exactly so (the last one, as a parse tree keeps it), else the first whose name
	// matches ignoring case.
	ignition int
	// shadowed holds the key offsets of object members that a later member with the same name
	// replaces; a parse tree keeps only the last, and so does decoding. Nil when there are none.
	shadowed map[int]bool
}

// checkDocument reports whether data is a valid JSON object that decoding can stream, and what
// decoding needs to know about it. It returns false for anything else — invalid JSON, other
// values, numbers too large for a float64 — whose diagnostics go-json then gives, so that
// they stay exactly what they were.
func checkDocument(data []byte) (docFacts, bool) {
	c := checker{data: data, facts: docFacts{ignition: -1}}
	c.space()
	if c.pos >= len(data) || data[c.pos] != '{' {
		return docFacts{}, false
	}
	ignFold := -1
	if !c.object(1, &ignFold) {
		return docFacts{}, false
	}
	c.space()
	if c.pos != len(data) {
		return docFacts{}, false
	}
	if c.facts.ignition < 0 {
		c.facts.ignition = ignFold
	}
	return c.facts, true
}

// checker is the state of checkDocument.
type checker struct {
	data  []byte
	pos   int
	facts docFacts
	// keys[depth] holds the member names seen so far in the open object at that depth, to find
	// duplicates; byName[depth] indexes them once an object has many members.
	keys   [][]memberKey
	byName []map[string]int
}

type memberKey struct {
	name []byte // the unquoted name
	off  int    // offset of the key's opening quote
}

// manyKeys is the member count from which duplicates are found with a map rather than by
// comparing with every earlier member.
const manyKeys = 16

func (c *checker) space() {
	for c.pos < len(c.data) {
		switch c.data[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

func (c *checker) value(depth int) bool {
	if c.pos >= len(c.data) {
		return false
	}
	switch b := c.data[c.pos]; {
	case b == '{':
		return c.object(depth+1, nil)
	case b == '[':
		return c.array(depth + 1)
	case b == '"':
		end, _, ok := scanString(c.data, c.pos)
		c.pos = end
		return ok
	case b == 't':
		return c.literal("true")
	case b == 'f':
		return c.literal("false")
	case b == 'n':
		return c.literal("null")
	case b == '-' || '0' <= b && b <= '9':
		return c.number()
	}
	return false
}

func (c *checker) literal(word string) bool {
	if !bytes.HasPrefix(c.data[c.pos:], []byte(word)) {
		return false
	}
	c.pos += len(word)
	return true
}

// number checks a number's syntax and that it fits a float64, as go-json requires.
func (c *checker) number() bool {
	start := c.pos
	d := c.data
	if d[c.pos] == '-' {
		c.pos++
	}
	switch {
	case c.pos < len(d) && d[c.pos] == '0':
		c.pos++
	case c.pos < len(d) && '1' <= d[c.pos] && d[c.pos] <= '9':
		c.digits()
	default:
		return false
	}
	if c.pos < len(d) && d[c.pos] == '.' {
		c.pos++
		if c.digits() == 0 {
			return false
		}
	}
	exponent := false
	if c.pos < len(d) && (d[c.pos] == 'e' || d[c.pos] == 'E') {
		exponent = true
		c.pos++
		if c.pos < len(d) && (d[c.pos] == '+' || d[c.pos] == '-') {
			c.pos++
		}
		if c.digits() == 0 {
			return false
		}
	}
	// Without an exponent, only a number of more than 308 digits can overflow.
	if exponent || c.pos-start > 300 {
		if _, err := strconv.ParseFloat(string(d[start:c.pos]), 64); err != nil {
			return false
		}
	}
	return true
}

func (c *checker) digits() int {
	n := 0
	for c.pos < len(c.data) && '0' <= c.data[c.pos] && c.data[c.pos] <= '9' {
		c.pos++
		n++
	}
	return n
}

func (c *checker) array(depth int) bool {
	if depth > maxJSONDepth {
		return false
	}
	c.pos++ // [
	c.space()
	if c.pos < len(c.data) && c.data[c.pos] == ']' {
		c.pos++
		return true
	}
	for {
		c.space()
		if !c.value(depth) {
			return false
		}
		c.space()
		if c.pos >= len(c.data) {
			return false
		}
		switch c.data[c.pos] {
		case ',':
			c.pos++
		case ']':
			c.pos++
			return true
		default:
			return false
		}
	}
}

// object checks an object at depth; for the root object (ignFold not nil) it also finds the
// ignition member.
func (c *checker) object(depth int, ignFold *int) bool {
	if depth > maxJSONDepth {
		return false
	}
	for len(c.keys) <= depth {
		c.keys = append(c.keys, nil)
		c.byName = append(c.byName, nil)
	}
	c.keys[depth] = c.keys[depth][:0]
	if c.byName[depth] != nil {
		clear(c.byName[depth])
	}
	c.pos++ // {
	c.space()
	if c.pos < len(c.data) && c.data[c.pos] == '}' {
		c.pos++
		return true
	}
	for {
		c.space()
		if c.pos >= len(c.data) || c.data[c.pos] != '"' {
			return false
		}
		keyOff := c.pos
		end, plain, ok := scanString(c.data, c.pos)
		if !ok {
			return false
		}
		c.pos = end
		name := c.data[keyOff+1 : end-1]
		if !plain {
			name = unquote(c.data[keyOff:end])
		}
		c.member(depth, memberKey{name: name, off: keyOff})
		c.space()
		if c.pos >= len(c.data) || c.data[c.pos] != ':' {
			return false
		}
		c.pos++
		c.space()
		if ignFold != nil {
			if string(name) == "ignition" {
				c.facts.ignition = c.pos
			} else if *ignFold < 0 && bytes.EqualFold(name, []byte("ignition")) {
				*ignFold = c.pos
			}
		}
		if !c.value(depth) {
			return false
		}
		c.space()
		if c.pos >= len(c.data) {
			return false
		}
		switch c.data[c.pos] {
		case ',':
			c.pos++
		case '}':
			c.pos++
			return true
		default:
			return false
		}
	}
}

// member records a member name of the object at depth, marking an earlier member of the same
// name as shadowed.
func (c *checker) member(depth int, k memberKey) {
	keys := c.keys[depth]
	prev := -1
	if m := c.byName[depth]; len(m) > 0 {
		if i, ok := m[string(k.name)]; ok {
			prev = i
		}
	} else {
		for i := range keys {
			if bytes.Equal(keys[i].name, k.name) {
				prev = i
				break
			}
		}
	}
	if prev >= 0 {
		if c.facts.shadowed == nil {
			c.facts.shadowed = map[int]bool{}
		}
		c.facts.shadowed[keys[prev].off] = true
		keys[prev] = k
		return
	}
	c.keys[depth] = append(keys, k)
	if n := len(c.keys[depth]); n >= manyKeys {
		m := c.byName[depth]
		if m == nil {
			m = map[string]int{}
			c.byName[depth] = m
		}
		if len(m) == 0 {
			for i, k := range c.keys[depth] {
				m[string(k.name)] = i
			}
		} else {
			m[string(k.name)] = n - 1
		}
	}
}

// scanString finds the end (one past the closing quote) of the string starting at data[start]
// and checks its syntax as JSON does: no control characters, only the defined escapes; any
// other byte is allowed, invalid UTF-8 included. plain is true when the string is ASCII without
// escapes, so that its text is the bytes between the quotes.
func scanString(data []byte, start int) (end int, plain, ok bool) {
	plain = true
	i := start + 1
	for i < len(data) {
		for i < len(data) && asciiText[data[i]] {
			i++
		}
		if i >= len(data) {
			break
		}
		switch b := data[i]; {
		case b == '"':
			return i + 1, plain, true
		case b < 0x20:
			return i, false, false
		case b == '\\':
			plain = false
			i++
			if i >= len(data) {
				return i, false, false
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+4 >= len(data) {
					return i, false, false
				}
				for _, h := range data[i+1 : i+5] {
					if hexValue(h) < 0 {
						return i, false, false
					}
				}
				i += 5
			default:
				return i, false, false
			}
		default: // not ASCII
			plain = false
			i++
		}
	}
	return i, false, false
}

// asciiText marks the bytes that stand for themselves in a JSON string: printable ASCII but
// the quote and the backslash.
var asciiText = func() (t [256]bool) {
	for b := 0x20; b < 0x80; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

func hexValue(b byte) rune {
	switch {
	case '0' <= b && b <= '9':
		return rune(b - '0')
	case 'a' <= b && b <= 'f':
		return rune(b-'a') + 10
	case 'A' <= b && b <= 'F':
		return rune(b-'A') + 10
	}
	return -1
}

// unquote returns the text of the valid JSON string literal lit (quotes included) the way
// encoding/json reads it: escapes resolved, a \u escape of half a surrogate pair and every byte
// of invalid UTF-8 replaced by U+FFFD. Text that needs none of that is returned in place.
func unquote(lit []byte) []byte {
	s := lit[1 : len(lit)-1]
	if bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		b := s[i]
		switch {
		case b == '\\':
			switch e := s[i+1]; e {
			case 'u':
				r := hex4(s[i+2:])
				i += 6
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
						r2 = hex4(s[i+2:])
					}
					if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
						r = pair
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				out = utf8.AppendRune(out, r)
				continue
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			default: // " \ /
				out = append(out, e)
			}
			i += 2
		case b < utf8.RuneSelf:
			out = append(out, b)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			out = utf8.AppendRune(out, r)
			i += size
		}
	}
	return out
}

// hex4 reads the four hex digits of a \u escape, which the first pass has checked.
func hex4(h []byte) rune {
	var r rune
	for _, b := range h[:4] {
		r = r<<4 | hexValue(b)
	}
	return r
}

// skipValue returns the offset just past the valid JSON value starting at data[i].
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		end, _, _ := scanString(data, i)
		return end
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				end, _, _ := scanString(data, i)
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}
