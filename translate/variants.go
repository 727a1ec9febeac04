package translate

import (
	"fmt"
	"strings"

	"github.com/coreos/go-semver/semver"

	"github.com/flint-provision/flint/config"
)

// Variant is one supported (variant, version) pair of the YAML format and what it implies:
// the spec version it emits and which sugar it accepts. The map from Butane versions to spec
// versions is Butane's product decision, not a formula, so it is a table.
type Variant struct {
	// Name and Version are the document's variant and version keys.
	Name    string
	Version string
	// Spec is the spec version the variant emits unless --spec asks for another.
	Spec config.Version
	// percentOnly: inline contents always become a percent-encoded data URL, never base64 or
	// gzip (Butane fcos 1.0.0).
	percentOnly bool
	// filesOnlySources: inline and local are accepted only in storage.files contents and
	// append, not in the other resources (Butane fcos 1.0.0).
	filesOnlySources bool
	// localKeys: the *_local keys of users and units exist (Butane fcos 1.5.0, flatcar 1.1.0).
	localKeys bool
	// noClevis: storage.luks[].clevis is refused (Butane flatcar).
	noClevis bool
}

func spec(s string) config.Version { return *semver.New(s) }

// Variants lists the supported variants and versions, flint's own first.
var Variants = []Variant{
	{Name: "flint", Version: "1.0.0", Spec: spec("3.6.0"), localKeys: true},
	{Name: "fcos", Version: "1.0.0", Spec: spec("3.0.0"), percentOnly: true, filesOnlySources: true},
	{Name: "fcos", Version: "1.1.0", Spec: spec("3.1.0")},
	{Name: "fcos", Version: "1.2.0", Spec: spec("3.2.0")},
	{Name: "fcos", Version: "1.3.0", Spec: spec("3.2.0")},
	{Name: "fcos", Version: "1.4.0", Spec: spec("3.3.0")},
	{Name: "fcos", Version: "1.5.0", Spec: spec("3.4.0"), localKeys: true},
	{Name: "fcos", Version: "1.6.0", Spec: spec("3.5.0"), localKeys: true},
	{Name: "fcos", Version: "1.7.0", Spec: spec("3.6.0"), localKeys: true},
	{Name: "flatcar", Version: "1.0.0", Spec: spec("3.3.0"), noClevis: true},
	{Name: "flatcar", Version: "1.1.0", Spec: spec("3.4.0"), localKeys: true, noClevis: true},
}

// lookupVariant finds the variant for a document's variant and version keys.
func lookupVariant(name, version string) (Variant, error) {
	if name == "" {
		return Variant{}, ErrNoVariant
	}
	v, err := semver.NewVersion(version)
	if err != nil {
		return Variant{}, ErrBadVersion
	}
	for _, vr := range Variants {
		if vr.Name == name && vr.Version == v.String() {
			return vr, nil
		}
	}
	return Variant{}, fmt.Errorf("%w %s with version %s; supported: %s", ErrNoTranslator, name, v, supportedVariants())
}

func supportedVariants() string {
	var b strings.Builder
	for i, vr := range Variants {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", vr.Name, vr.Version)
	}
	return b.String()
}
