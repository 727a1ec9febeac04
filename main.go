// Command flint provisions Linux machines on their first boot from a declarative config.
package main

import (
	"os"

	"github.com/flint-provision/flint/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
