package config

// validateSystemd checks systemd units and drop-ins: names, unit file syntax, install sections.
func validateSystemd(c *Config, v Version, r *reporter) {}
