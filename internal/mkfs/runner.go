package mkfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
)

// Runner runs one command. The disks stage takes a Runner so tests can pass a recorder instead of
// formatting real devices.
type Runner interface {
	// Run executes argv and returns what it wrote. A non-zero exit is an error of type
	// *CommandError.
	Run(ctx context.Context, argv []string) (stdout, stderr []byte, err error)
}

// CommandError is a command that could not be started or exited non-zero; it keeps the
// command's standard error, which holds the tool's own explanation.
type CommandError struct {
	Argv   []string
	Stderr []byte
	Err    error
}

// Error names the command, how it failed, and what it said on standard error.
func (e *CommandError) Error() string {
	msg := fmt.Sprintf("%s: %v", strings.Join(e.Argv, " "), e.Err)
	if s := strings.TrimSpace(string(e.Stderr)); s != "" {
		msg += ": " + s
	}
	return msg
}

// Unwrap gives the *exec.ExitError (or start error) underneath, for errors.As.
func (e *CommandError) Unwrap() error { return e.Err }

// ExecRunner runs commands as child processes and logs each argv before it runs.
type ExecRunner struct {
	// Logger receives one line per command; nil means slog.Default().
	Logger *slog.Logger
}

// ErrEmptyCommand is returned for an empty argv.
var ErrEmptyCommand = errors.New("empty command")

// Run implements Runner.
func (r ExecRunner) Run(ctx context.Context, argv []string) ([]byte, []byte, error) {
	if len(argv) == 0 {
		return nil, nil, ErrEmptyCommand
	}
	logger := r.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.InfoContext(ctx, "running", "argv", argv)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), stderr.Bytes(), &CommandError{Argv: argv, Stderr: stderr.Bytes(), Err: err}
	}
	return stdout.Bytes(), stderr.Bytes(), nil
}
