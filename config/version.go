package config

import (
	"fmt"
	"strings"

	"github.com/coreos/go-semver/semver"
)

// Version is a config spec version.
type Version = semver.Version

// Supported lists the 3.x spec versions flint reads, oldest first.
var Supported = []Version{
	mustVersion("3.0.0"), mustVersion("3.1.0"), mustVersion("3.2.0"), mustVersion("3.3.0"),
	mustVersion("3.4.0"), mustVersion("3.5.0"), mustVersion("3.6.0"),
}

// SupportedLegacy lists the Container Linux era spec versions that flint reads and translates.
var SupportedLegacy = []Version{
	mustVersion("2.0.0"), mustVersion("2.1.0"), mustVersion("2.2.0"), mustVersion("2.3.0"),
}

// Newest is the newest supported spec version; it is what flint writes by default.
var Newest = Supported[len(Supported)-1]

func mustVersion(s string) Version {
	return *semver.New(s)
}

// IsSupported reports whether v is one of the 3.x spec versions flint reads.
func IsSupported(v Version) bool {
	for _, s := range Supported {
		if s.Equal(v) {
			return true
		}
	}
	return false
}

// ParseVersion parses a spec version string and checks that flint supports it. It accepts 3.x
// versions only; see SupportedLegacy for 2.x.
func ParseVersion(s string) (Version, error) {
	v, err := semver.NewVersion(s)
	if err != nil {
		return Version{}, fmt.Errorf("%w: %q", ErrVersionUnparsable, s)
	}
	if !IsSupported(*v) {
		return Version{}, fmt.Errorf("%w %s; supported versions: %s", ErrVersionUnsupported, s, supportedList())
	}
	return *v, nil
}

func supportedList() string {
	var b strings.Builder
	for i, v := range Supported {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.String())
	}
	for _, v := range SupportedLegacy {
		b.WriteString(", ")
		b.WriteString(v.String())
	}
	return b.String()
}
