package config

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// UnitFile is a systemd unit file or drop-in as the reference validator reads it.
type UnitFile struct {
	// Sections in file order. A name may repeat; systemd reads repeated sections as one.
	Sections []UnitSection
}

// UnitSection is one [Section] of a unit file and its options.
type UnitSection struct {
	Name    string
	Options []UnitOption
}

// UnitOption is one Name=Value line of a unit file.
type UnitOption struct {
	Name string
	// Value has continuation lines joined with a space and surrounding space trimmed.
	Value string
}

// Options returns the options of every section named section, in file order.
func (u *UnitFile) Options(section string) []UnitOption {
	var out []UnitOption
	for _, s := range u.Sections {
		if s.Name == section {
			out = append(out, s.Options...)
		}
	}
	return out
}

// Installable reports whether the unit has an [Install] section with at least one option. An
// empty [Install] gives enabling nothing to do, so it counts as none, as in the reference.
func (u *UnitFile) Installable() bool {
	for _, s := range u.Sections {
		if s.Name == "Install" && len(s.Options) > 0 {
			return true
		}
	}
	return false
}

// unitLineMax is the longest line the reference accepts: systemd truncates longer lines
// (LINE_MAX, 2048 on Linux), so the reference rejects them rather than let a unit change
// meaning silently.
const unitLineMax = 2048

// Errors of ParseUnitFile. Their texts are the reference parser's.
var (
	ErrUnitLineTooLong    = fmt.Errorf("line too long (max %d bytes)", unitLineMax)
	ErrUnitSectionEnd     = errors.New("unable to find end of section")
	ErrUnitSectionGarbage = errors.New("found garbage after section name")
	ErrUnitOptionNewline  = errors.New("unexpected newline encountered while parsing option name")
	ErrUnitOptionEOF      = errors.New("unexpected end of file while parsing option name")
)

// ParseUnitFile reads a systemd unit file. It accepts exactly what the reference validator's
// parser (go-systemd's deserializer) accepts, quirks included, because a unit that one tool
// accepts and the other rejects would break the compatibility contract:
//   - text before the first section header is skipped, a '[' or a comment character in it
//     starts a header or a comment even in mid-line;
//   - a section name runs to the first ']', across lines if need be, and only space may
//     follow it on its line;
//   - '#' and ';' start comments, continued by a trailing backslash;
//   - an option line needs '=' before its end, and its value continues over lines that end in
//     a backslash until a blank line;
//   - the line length limit is checked where the reference checks it: before each parsing
//     step, on the part of the text that its 4096-byte read buffer holds at that moment. In
//     texts longer than the buffer some long lines therefore pass, in both tools.
func ParseUnitFile(text string) (*UnitFile, error) {
	l := unitLexer{s: text, nl: -1}
	return l.run()
}

// unitReadBuffer is the size of the reference parser's read buffer (bufio's default); the
// line length check only sees what that buffer holds.
const unitReadBuffer = 4096

type unitState int

const (
	stateBeforeSection unitState = iota
	stateSectionName
	stateSectionEnd
	stateInSection
	stateOptionName
	stateOptionValue
	stateComment
	stateDone
)

type unitLexer struct {
	s   string
	pos int
	// end is where the reference parser's read buffer ends: the line length check looks no
	// further, and the buffer refills only when a read needs more.
	end int
	// nl caches the offset of the first '\r' or '\n' at or after pos (len(s) if none).
	nl int

	file UnitFile
	// afterComment is the state to return to after a comment.
	afterComment unitState
	section      string
	option       string
	value        strings.Builder
}

func (l *unitLexer) run() (*UnitFile, error) {
	state := stateBeforeSection
	for state != stateDone {
		if l.lineTooLong() {
			return nil, ErrUnitLineTooLong
		}
		var err error
		if state, err = l.step(state); err != nil {
			return nil, err
		}
	}
	return &l.file, nil
}

// lineTooLong is the reference's check: with at least unitLineMax bytes buffered ahead, those
// bytes must contain a line break.
func (l *unitLexer) lineTooLong() bool {
	if l.end-l.pos < unitLineMax {
		return false
	}
	if l.nl < l.pos {
		i := strings.IndexAny(l.s[l.pos:], "\r\n")
		if i < 0 {
			i = len(l.s) - l.pos
		}
		l.nl = l.pos + i
	}
	return l.nl-l.pos >= unitLineMax
}

// fill models a refill of the read buffer that starts at offset from.
func (l *unitLexer) fill(from int) {
	l.end = min(from+unitReadBuffer, len(l.s))
}

// readRune reads one rune as the buffered reader does: it refills only when fewer bytes than
// a whole rune are buffered.
func (l *unitLexer) readRune() (r rune, ok bool) {
	if l.end-l.pos < utf8.UTFMax && !utf8.FullRuneInString(l.s[l.pos:l.end]) {
		l.fill(l.pos)
	}
	if l.pos == l.end {
		return 0, false
	}
	r, size := utf8.DecodeRuneInString(l.s[l.pos:l.end])
	l.pos += size
	return r, true
}

// readThrough reads up to and including delim, or to the end of the text (eof set), refilling
// the buffer as the buffered reader does while it searches.
func (l *unitLexer) readThrough(delim byte) (text string, eof bool) {
	start, base, from := l.pos, l.pos, l.pos
	for {
		if i := strings.IndexByte(l.s[from:l.end], delim); i >= 0 {
			l.pos = from + i + 1
			return l.s[start:l.pos], false
		}
		if l.end == len(l.s) {
			l.pos = l.end
			return l.s[start:], true
		}
		if l.end-base >= unitReadBuffer { // a full buffer is handed over and reading goes on
			base = l.end
		}
		from = l.end
		l.fill(base)
	}
}

// readLine reads the rest of the line without its '\n'; like the reference it drops a '\r'
// only where no '\n' follows it (at the end of the text).
func (l *unitLexer) readLine() (line string, eof bool) {
	line, eof = l.readThrough('\n')
	line = strings.TrimSuffix(line, "\r")
	return strings.TrimSuffix(line, "\n"), eof
}

func isUnitComment(r rune) bool { return r == '#' || r == ';' }

func (l *unitLexer) step(state unitState) (unitState, error) {
	switch state {
	case stateBeforeSection: // one rune per step: anything but '[' and comments is skipped
		r, ok := l.readRune()
		switch {
		case !ok:
			return stateDone, nil
		case r == '[':
			return stateSectionName, nil
		case isUnitComment(r):
			l.afterComment = stateBeforeSection
			return stateComment, nil
		}
		return stateBeforeSection, nil

	case stateSectionName:
		name, eof := l.readThrough(']')
		if eof {
			return stateDone, ErrUnitSectionEnd
		}
		l.section = name[:len(name)-1]
		return stateSectionEnd, nil

	case stateSectionEnd:
		rest, _ := l.readLine()
		if rest = strings.TrimSpace(rest); rest != "" {
			return stateDone, fmt.Errorf("%w %s: %q", ErrUnitSectionGarbage, l.section, rest)
		}
		l.file.Sections = append(l.file.Sections, UnitSection{Name: l.section})
		return stateInSection, nil

	case stateInSection: // one rune per step, like stateBeforeSection
		start := l.pos
		r, ok := l.readRune()
		switch {
		case !ok:
			return stateDone, nil
		case unicode.IsSpace(r):
			return stateInSection, nil
		case r == '[':
			return stateSectionName, nil
		case isUnitComment(r):
			l.afterComment = stateInSection
			return stateComment, nil
		}
		l.pos = start
		return stateOptionName, nil

	case stateOptionName:
		start := l.pos
		for {
			r, ok := l.readRune()
			switch {
			case !ok:
				return stateDone, ErrUnitOptionEOF
			case r == '\n' || r == '\r':
				return stateDone, ErrUnitOptionNewline
			case r == '=':
				l.option = strings.TrimSpace(l.s[start : l.pos-1])
				l.value.Reset()
				return stateOptionValue, nil
			}
		}

	case stateOptionValue: // one line per step
		line, eof := l.readLine()
		if strings.TrimSpace(line) != "" {
			if cont, ok := strings.CutSuffix(line, `\`); ok {
				l.value.WriteString(cont)
				l.value.WriteByte(' ')
				if !eof {
					return stateOptionValue, nil
				}
			} else {
				l.value.WriteString(line)
			}
		}
		sec := &l.file.Sections[len(l.file.Sections)-1]
		sec.Options = append(sec.Options, UnitOption{Name: l.option, Value: strings.TrimSpace(l.value.String())})
		return stateInSection, nil

	case stateComment: // the whole comment, continuation lines included, is one step
		for {
			line, _ := l.readLine()
			line = strings.TrimSuffix(line, " ")
			if !strings.HasSuffix(line, `\`) {
				return l.afterComment, nil
			}
		}
	}
	return stateDone, nil
}
