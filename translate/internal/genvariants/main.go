// Command genvariants writes the reference page and the JSON Schema of flint's own YAML
// variant into docs/variants; go generate ./translate runs it. The Butane variants' schemas
// are printed on demand by flint schema --variant.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/flint-provision/flint/translate"
)

func main() {
	dir := flag.String("dir", "", "directory to write the files into")
	flag.Parse()
	if *dir == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: genvariants -dir DIR")
		os.Exit(2)
	}
	if err := write(*dir); err != nil {
		fmt.Fprintf(os.Stderr, "genvariants: %v\n", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, vr := range translate.DocumentedVariants() {
		md, err := translate.ReferenceMarkdown(vr)
		if err != nil {
			return err
		}
		schema, err := translate.Schema(vr)
		if err != nil {
			return err
		}
		base := filepath.Join(dir, vr.Name+"-"+vr.Version)
		for name, data := range map[string][]byte{base + ".md": md, base + ".schema.json": schema} {
			if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, data) {
				continue
			}
			if err := os.WriteFile(name, data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
