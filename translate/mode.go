package translate

// Permission classes of a mode, most specific first.
const (
	classUser  = 6
	classGroup = 3
	classOther = 0
)

// decimalMode reports whether mode looks like octal digits written without the leading zero
// (644 meant as 0644): read as octal it would be a typical mode while as given it is not.
// Only values whose decimal digits are all 0-7 and at most four digits qualify.
func decimalMode(mode int, dir bool) bool {
	if mode < 0 || mode > 7777 {
		return false
	}
	octal, scale := 0, 1
	for m := mode; m > 0; m /= 10 {
		d := m % 10
		if d > 7 {
			return false
		}
		octal += d * scale
		scale *= 8
	}
	return typicalMode(octal, dir) && !typicalMode(mode, dir)
}

// typicalMode reports whether mode is one that people actually use for a file or directory.
func typicalMode(mode int, dir bool) bool {
	if mode == 0 {
		return true
	}
	if mode&^0o7777 != 0 {
		return false
	}
	u, g, o := (mode>>classUser)&7, (mode>>classGroup)&7, (mode>>classOther)&7
	// Permissions narrow from user to group to other.
	if g&^u != 0 || o&^g != 0 {
		return false
	}
	for _, c := range []int{u, g, o} {
		// Write or execute without read is not something people ask for.
		if c != 0 && c&4 == 0 {
			return false
		}
	}
	// Execute for a class above one that may read but not execute.
	if (g == 4 || g == 6) && u&1 != 0 || (o == 4 || o == 6) && g&1 != 0 {
		return false
	}
	if mode&0o444 == 0 {
		return false
	}
	setuid, setgid, sticky := mode&0o4000 != 0, mode&0o2000 != 0, mode&0o1000 != 0
	if dir {
		writable := mode&0o222 != 0
		return mode&0o111 != 0 && !setuid && (!setgid && !sticky || writable)
	}
	if setuid || setgid {
		if mode&0o111 == 0 || o&2 != 0 {
			return false
		}
	}
	return !sticky
}
