package config

import (
	"fmt"
	"path"
	"strings"
)

// validateSystemd checks systemd units and drop-ins: names, unit file syntax, install sections.
func validateSystemd(c *Config, v Version, r *reporter) {
	units := c.Systemd.Units
	// parsed[i] is unit i's parsed contents; nil when it has none or they do not parse.
	parsed := make([]*UnitFile, len(units))
	// byName maps a unit name to its index; like the reference, a later duplicate wins.
	byName := make(map[string]int, len(units))
	for i := range units {
		u := &units[i]
		p := Path{"systemd", "units", i}
		if !isUnitExtension(path.Ext(u.Name)) {
			r.errorf(p.Append("name"), ErrUnitExtension)
		}
		if u.Contents != nil {
			f, err := ParseUnitFile(*u.Contents)
			if err != nil {
				r.errorf(p.Append("contents"), fmt.Errorf("%w: %w", ErrUnitContent, err))
			} else {
				parsed[i] = f
				// Enabling works through presets, which only act on [Install]: without one,
				// enabled: true does nothing. Units without contents may be installed elsewhere.
				if isTrue(u.Enabled) && *u.Contents != "" && !f.Installable() {
					r.warnf(p.Append("contents"), noInstallSectionError(u.Name))
				}
			}
		}
		for j := range u.Dropins {
			d := &u.Dropins[j]
			dp := p.Append("dropins", j)
			if d.Contents != nil {
				if _, err := ParseUnitFile(*d.Contents); err != nil {
					r.errorf(dp.Append("contents"), fmt.Errorf("%w: %w", ErrUnitContent, err))
				}
			}
			if path.Ext(d.Name) != ".conf" {
				r.errorf(dp.Append("name"), ErrDropinExtension)
			}
		}
		byName[u.Name] = i
	}
	// An enabled instance is enabled through its template's [Install] section.
	for i := range units {
		u := &units[i]
		if !isTrue(u.Enabled) {
			continue
		}
		tmpl, ok := templateUnit(u.Name)
		if !ok {
			continue
		}
		j, ok := byName[tmpl]
		if !ok || units[j].Contents == nil || *units[j].Contents == "" || parsed[j] == nil {
			continue // not in the config, or already reported as unparsable
		}
		if !parsed[j].Installable() {
			r.warnf(Path{"systemd", "units", i, "contents"}, templateNoInstallError(tmpl, u.Name))
		}
	}
}

func isTrue(b *bool) bool { return b != nil && *b }

func isUnitExtension(ext string) bool {
	switch ext {
	case ".service", ".socket", ".device", ".mount", ".automount", ".swap", ".target", ".path",
		".timer", ".snapshot", ".slice", ".scope":
		return true
	}
	return false
}

// templateUnit returns the template of an instance service unit: "foo@.service" for
// "foo@bar.service". Like the reference it splits at the first '@' that has a non-empty
// prefix and leaves a non-empty instance, and it never matches a name with a line break.
func templateUnit(name string) (string, bool) {
	stem, ok := strings.CutSuffix(name, ".service")
	if !ok || strings.Contains(name, "\n") {
		return "", false
	}
	for k := 1; k < len(stem)-1; k++ {
		if stem[k] == '@' {
			return stem[:k] + "@.service", true
		}
	}
	return "", false
}
