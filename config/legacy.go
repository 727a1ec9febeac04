package config

import "fmt"

// parseLegacy reads a spec 2.x document and translates it to the newest model.
func parseLegacy(src *Source, v Version) (Config, Report) {
	return Config{}, Report{{Severity: SeverityError, Path: Path{"ignition", "version"},
		Err: fmt.Errorf("%w %s: not implemented yet", ErrVersionUnsupported, v)}}
}
