// Package cli holds flint's command-line interface: one file per command, all registered on
// the root command built by newRoot.
package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes, the same for every command.
const (
	ExitOK      = 0 // success
	ExitFailed  = 1 // the config is invalid or the run failed
	ExitUsageIO = 2 // bad usage or an I/O error
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// failed is an error whose message was already printed; it only sets the exit code.
func failed(code int) error { return &exitError{code: code} }

// usageError marks err as a usage or I/O problem (exit 2).
func usageError(err error) error { return &exitError{code: ExitUsageIO, err: err} }

// commands registers the subcommands; each command file adds itself in an init function.
var commands []func(io.Reader) *cobra.Command

func register(f func(stdin io.Reader) *cobra.Command) { commands = append(commands, f) }

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "flint",
		Short:         "Provision Linux machines on their first boot from a declarative config",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetIn(stdin)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	for _, c := range commands {
		root.AddCommand(c(stdin))
	}
	return root
}

// Main runs flint with args and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "flint: %v\n", ee.err)
		}
		return ee.code
	}
	// Cobra's own errors (unknown command, wrong argument count) are usage errors.
	fmt.Fprintf(stderr, "flint: %v\n", err)
	return ExitUsageIO
}
