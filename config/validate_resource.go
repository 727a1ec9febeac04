package config

// validateIgnition checks the ignition section: referenced configs, CAs, proxy, timeouts.
func validateIgnition(c *Config, v Version, r *reporter) {}

// validateResource checks one Resource (source URL, compression, headers, hash) found at p.
func validateResource(res *Resource, p Path, v Version, r *reporter) {}
