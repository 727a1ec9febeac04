package stages

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/flint-provision/flint/config"
)

// The kargs stage makes the kernel command line of the installed system have (and not have)
// the arguments the config lists. By default it edits the Boot Loader Specification entries
// (loader/entries/*.conf, "options" line) of the target; a distribution can name a helper
// instead (Env.KargsHelper), called with Ignition's helper contract. When anything changed
// the machine must boot again with the new arguments: the stage asks for a reboot.

func init() { Register(kargsStage{}) }

type kargsStage struct{}

func (kargsStage) Name() string { return "kargs" }

// ErrNoBootEntries means there is nowhere to change kernel arguments.
var ErrNoBootEntries = errors.New("no boot loader entries (loader/entries/*.conf) found in the target's /boot; set a kargs helper")

func (kargsStage) Plan(_ context.Context, env *Env) (*Plan, error) {
	p := &Plan{Stage: "kargs"}
	k := env.Config.KernelArguments
	if len(k.ShouldExist) == 0 && len(k.ShouldNotExist) == 0 {
		return p, nil
	}
	cfgPath := config.Path{"kernelArguments"}
	if env.KargsHelper != "" {
		p.Actions = append(p.Actions, &kargsHelperAction{helper: env.KargsHelper, args: k})
		return p, nil
	}
	entries, _ := filepath.Glob(env.Root.Host("/boot/loader/entries") + "/*.conf")
	sort.Strings(entries)
	if len(entries) == 0 {
		return nil, &StepError{Stage: "kargs", Action: "find boot entries", Path: cfgPath, Err: ErrNoBootEntries}
	}
	for _, e := range entries {
		data, err := os.ReadFile(e)
		if err != nil {
			return nil, err
		}
		updated, changed := editBLSEntry(string(data), k.ShouldExist, k.ShouldNotExist)
		if changed {
			p.Actions = append(p.Actions, &blsAction{cfgPath: cfgPath, file: e, text: updated})
		}
	}
	if len(p.Actions) > 0 {
		p.Actions = append(p.Actions, &rebootAction{})
	}
	return p, nil
}

// editBLSEntry applies the argument changes to the options line of a BLS entry.
func editBLSEntry(text string, add, remove []string) (string, bool) {
	lines := strings.Split(text, "\n")
	idx := -1
	for i, l := range lines {
		if f := strings.Fields(l); len(f) > 0 && f[0] == "options" {
			idx = i
		}
	}
	var opts string
	if idx >= 0 {
		opts = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[idx]), "options"))
	}
	updated, changed := EditArgs(opts, add, remove)
	if !changed {
		return text, false
	}
	line := "options " + updated
	if idx >= 0 {
		lines[idx] = line
	} else {
		if n := len(lines); n > 0 && lines[n-1] == "" {
			lines = append(lines[:n-1], line, "")
		} else {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n"), true
}

// EditArgs applies Ignition's kernel argument semantics to a command line: each shouldExist
// entry (one argument, or several separated by spaces that must appear in that order) is
// appended when missing; each shouldNotExist entry is removed wherever it appears.
func EditArgs(cmdline string, shouldExist, shouldNotExist []string) (string, bool) {
	args := strings.Fields(cmdline)
	changed := false
	for _, e := range shouldNotExist {
		seq := strings.Fields(e)
		for i := indexSeq(args, seq); i >= 0; i = indexSeq(args, seq) {
			args = append(args[:i], args[i+len(seq):]...)
			changed = true
		}
	}
	for _, e := range shouldExist {
		seq := strings.Fields(e)
		if len(seq) > 0 && indexSeq(args, seq) < 0 {
			args = append(args, seq...)
			changed = true
		}
	}
	return strings.Join(args, " "), changed
}

func indexSeq(args, seq []string) int {
	if len(seq) == 0 {
		return -1
	}
outer:
	for i := 0; i+len(seq) <= len(args); i++ {
		for j := range seq {
			if args[i+j] != seq[j] {
				continue outer
			}
		}
		return i
	}
	return -1
}

type blsAction struct {
	cfgPath config.Path
	file    string
	text    string
}

func (a *blsAction) ConfigPath() config.Path { return a.cfgPath }
func (a *blsAction) Describe() string {
	return "set kernel arguments in " + filepath.Base(a.file)
}
func (a *blsAction) Apply(context.Context, *Env) error {
	return writeAtomic(a.file, []byte(a.text), 0o644)
}

type rebootAction struct{}

func (rebootAction) Describe() string { return "reboot to use the new kernel arguments" }
func (rebootAction) Apply(_ context.Context, env *Env) error {
	if env.Reboot == nil {
		env.Log.Warn("kernel arguments changed: reboot the machine to use them")
		return nil
	}
	return env.Reboot()
}

type kargsHelperAction struct {
	helper string
	args   config.KernelArguments
}

func (a *kargsHelperAction) Describe() string { return "run the kernel arguments helper " + a.helper }
func (a *kargsHelperAction) Apply(ctx context.Context, env *Env) error {
	var argv []string
	for _, s := range a.args.ShouldExist {
		argv = append(argv, "--should-exist", s)
	}
	for _, s := range a.args.ShouldNotExist {
		argv = append(argv, "--should-not-exist", s)
	}
	out, err := exec.CommandContext(ctx, a.helper, argv...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", a.helper, err, strings.TrimSpace(string(out)))
	}
	return nil
}
