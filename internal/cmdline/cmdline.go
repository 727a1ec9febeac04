// Package cmdline reads the kernel command line the way the kernel and systemd split it:
// words separated by white space, double quotes grouping a word or a value, key=value split
// at the first '=', the last occurrence of a key winning.
package cmdline

import (
	"os"
	"strings"
)

// Cmdline is a parsed kernel command line.
type Cmdline struct {
	values map[string]string
	flags  map[string]bool // keys that appeared without '='
}

// Read parses the command line in file (normally /proc/cmdline).
func Read(file string) (Cmdline, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return Cmdline{}, err
	}
	return Parse(string(b)), nil
}

// Parse parses a command line.
func Parse(s string) Cmdline {
	c := Cmdline{values: map[string]string{}, flags: map[string]bool{}}
	for _, w := range split(s) {
		if w == "--" {
			break // the rest is for init
		}
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			c.flags[k] = true
			delete(c.values, k)
			continue
		}
		c.values[k] = v
		delete(c.flags, k)
	}
	return c
}

// split cuts s into words; a double quote starts or ends a quoted part, which may hold spaces,
// and the quotes themselves are dropped (as the kernel does for `key="a b"`).
func split(s string) []string {
	var out []string
	var b strings.Builder
	in, quoted := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			in = true
		case !quoted && (r == ' ' || r == '\t' || r == '\n' || r == '\r'):
			if in {
				out = append(out, b.String())
				b.Reset()
				in = false
			}
		default:
			b.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, b.String())
	}
	return out
}

// Get returns the value of the first of keys present (so aliases can be listed in order of
// preference), and whether any was.
func (c Cmdline) Get(keys ...string) (string, bool) {
	for _, k := range keys {
		if v, ok := c.values[k]; ok {
			return v, true
		}
	}
	return "", false
}

// Has reports whether any of keys appears, as a flag or with a value.
func (c Cmdline) Has(keys ...string) bool {
	for _, k := range keys {
		if c.flags[k] {
			return true
		}
		if _, ok := c.values[k]; ok {
			return true
		}
	}
	return false
}

// Truthy reports whether any of keys is on: a bare flag, or any value other than "", "0",
// "no", "off" and "false".
func (c Cmdline) Truthy(keys ...string) bool {
	for _, k := range keys {
		if c.flags[k] {
			return true
		}
		if v, ok := c.values[k]; ok {
			switch strings.ToLower(v) {
			case "", "0", "no", "off", "false":
			default:
				return true
			}
		}
	}
	return false
}
