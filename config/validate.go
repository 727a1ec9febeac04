package config

// Validate checks c against the rules of spec version v and returns the diagnostics, with
// JSON paths but without positions (Parse adds them).
func Validate(c *Config, v Version) Report {
	r := &reporter{}
	validateIgnition(c, v, r)
	validateStorage(c, v, r)
	validateSystemd(c, v, r)
	// passwd and kernelArguments have no rules beyond unique entries.
	validateDups(c, r)
	return r.report
}
