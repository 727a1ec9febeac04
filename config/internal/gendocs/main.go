// Command gendocs writes the files generated from config/types.go. It is run by go generate in
// package config, twice, because the second output depends on the first being compiled in:
//
//	gendocs -docs docs_gen.go     doc comments of types.go → the fieldDocs map
//	gendocs -spec ../docs/spec    per spec version: v3_N.md and v3_N.schema.json
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/config/internal/fielddoc"
)

func main() {
	docs := flag.String("docs", "", "write the doc comments of -types to this Go file")
	types := flag.String("types", "types.go", "the Go file holding the spec type tree")
	spec := flag.String("spec", "", "write the reference pages and schemas of every spec version into this directory")
	flag.Parse()
	if (*docs == "") == (*spec == "") || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gendocs -docs FILE [-types FILE] | gendocs -spec DIR")
		os.Exit(2)
	}
	var err error
	if *docs != "" {
		err = writeDocs(*types, *docs)
	} else {
		err = writeSpec(*spec)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gendocs: %v\n", err)
		os.Exit(1)
	}
}

// writeDocs renders the doc comments of the types file as the Go source of fieldDocs.
func writeDocs(typesFile, out string) error {
	src, err := os.ReadFile(typesFile)
	if err != nil {
		return err
	}
	docs, err := fielddoc.Parse(typesFile, src)
	if err != nil {
		return err
	}
	code, err := fielddoc.GoSource(docs)
	if err != nil {
		return err
	}
	return writeIfChanged(out, code)
}

// writeSpec writes each supported version's reference page and schema into dir.
func writeSpec(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, v := range config.Supported {
		md, err := config.ReferenceMarkdown(v)
		if err != nil {
			return err
		}
		schema, err := config.Schema(v)
		if err != nil {
			return err
		}
		base := filepath.Join(dir, config.SpecFileBase(v))
		if err := writeIfChanged(base+".md", md); err != nil {
			return err
		}
		if err := writeIfChanged(base+".schema.json", schema); err != nil {
			return err
		}
	}
	return nil
}

// writeIfChanged leaves an up-to-date file alone, so that its modification time says when it
// last changed.
func writeIfChanged(name string, data []byte) error {
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return os.WriteFile(name, data, 0o644)
}
