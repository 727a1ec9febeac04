package passwd

import "fmt"

// freeID picks an id in [min, max] that used does not hold, as shadow-utils'
// find_new_uid/find_new_gid do: normal ids go one above the highest id in
// use in the range (wrapping to the lowest free one when that is past max),
// system ids one below the lowest in use (wrapping to the highest free one).
func freeID(used map[int]bool, min, max int, system bool) (int, error) {
	if min > max {
		return 0, fmt.Errorf("%w: range %d-%d is empty", ErrNoFreeID, min, max)
	}
	if system {
		lowest := max + 1
		for id := range used {
			if id >= min && id < lowest {
				lowest = id
			}
		}
		for id := lowest - 1; id >= min; id-- {
			if !used[id] {
				return id, nil
			}
		}
		for id := max; id > lowest; id-- {
			if !used[id] {
				return id, nil
			}
		}
	} else {
		highest := min - 1
		for id := range used {
			if id <= max && id > highest {
				highest = id
			}
		}
		for id := highest + 1; id <= max; id++ {
			if !used[id] {
				return id, nil
			}
		}
		for id := min; id < highest; id++ {
			if !used[id] {
				return id, nil
			}
		}
	}
	return 0, fmt.Errorf("%w in %d-%d", ErrNoFreeID, min, max)
}

// usedIDs returns the ids (field 2) of the live records of t.
func usedIDs(t *table) map[int]bool {
	used := map[int]bool{}
	t.live(func(r *record) {
		if id := r.id(2); id >= 0 {
			used[id] = true
		}
	})
	return used
}

// newUID allocates a uid for a new (system) user.
func (db *Database) newUID(system bool) (int, error) {
	s := db.Settings
	if system {
		return freeID(usedIDs(db.passwd), s.SysUIDMin, s.SysUIDMax, true)
	}
	return freeID(usedIDs(db.passwd), s.UIDMin, s.UIDMax, false)
}

// newGID allocates a gid for a new (system) group; preferred, when it is
// not negative, is taken if it lies in the range and is free (useradd asks
// for the user's uid as the gid of its user group).
func (db *Database) newGID(system bool, preferred int) (int, error) {
	s := db.Settings
	min, max := s.GIDMin, s.GIDMax
	if system {
		min, max = s.SysGIDMin, s.SysGIDMax
	}
	used := usedIDs(db.group)
	if preferred >= min && preferred <= max && !used[preferred] {
		return preferred, nil
	}
	return freeID(used, min, max, system)
}
