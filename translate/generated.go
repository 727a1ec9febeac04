package translate

import (
	"strings"

	"github.com/coreos/go-semver/semver"
	"gopkg.in/yaml.v3"

	"github.com/flint-provision/flint/config"
)

// generated is the config that sugar with a life of its own produces (mount units,
// boot_device, grub): a parent config, merged under the user's as Butane does, so that an
// entry the user writes for the same unit, disk or filesystem adjusts the generated one field
// by field.
type generated struct {
	cfg *config.Config
	pos *Positions
	// mounts are the filesystems whose with_mount_unit is true, in document order.
	mounts []mountRequest
}

// config returns the generated config, creating it on first use.
func (g *generated) config() *config.Config {
	if g.cfg == nil {
		g.cfg = &config.Config{}
		g.pos = newPositions()
	}
	return g.cfg
}

// record maps a path of the generated config to the sugar node that produced it.
func (g *generated) record(p config.Path, value, keyNode *yaml.Node) {
	g.config()
	g.pos.record(pathKey(p), value, keyNode)
}

// mergeGenerated generates the mount units and merges everything generated under the user's
// config c. Configs without such sugar skip the merge and its cost.
func (t *translator) mergeGenerated(c *config.Config) {
	t.mountUnits(c)
	if t.gen.cfg == nil {
		return
	}
	merged, tr := config.Merge(t.gen.cfg, c)
	*c = *merged
	idx := tr.Index()
	t.pos.parent, t.pos.merged = t.gen.pos, &idx
}

// base is the minor version of the Butane base spec that the variant builds on (fcos 1.4.0 is
// base 0.4), which decides the sugar it has; flint's own variant has everything.
func (v Variant) base() int {
	switch v.Name {
	case "fcos":
		b := map[string]int{"1.0.0": 1, "1.1.0": 2, "1.2.0": 3, "1.3.0": 3, "1.4.0": 4, "1.5.0": 5, "1.6.0": 6, "1.7.0": 7}[v.Version]
		return b
	case "flatcar":
		return map[string]int{"1.0.0": 5, "1.1.0": 6}[v.Version]
	}
	return 7
}

// fcosAtLeast reports whether the variant has the sugar that Butane's fcos variant gained in
// version minor (1.minor.0): flint's own variant has all of it, flatcar none.
func (v Variant) fcosAtLeast(minor int) bool {
	switch v.Name {
	case "flint":
		return true
	case "fcos":
		ver, err := semver.NewVersion(v.Version)
		return err == nil && ver.Major == 1 && ver.Minor >= int64(minor)
	}
	return false
}

// joinPath joins a tree's destination root and a relative slash path.
func joinPath(root, rel string) string {
	if rel == "." || rel == "" {
		return root
	}
	if strings.HasSuffix(root, "/") {
		return root + rel
	}
	return root + "/" + rel
}
