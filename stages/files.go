package stages

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"

	"github.com/flint-provision/flint/config"
)

// The files stage writes what the config puts in the target root: users and groups, files,
// directories, links and systemd units. Every check that can fail on the observed state
// (a file in the way, two entries that resolve to one path) is made while planning, so a
// config that cannot be applied fails before the first write.

func init() { Register(filesStage{}) }

type filesStage struct{}

func (filesStage) Name() string { return "files" }

func (filesStage) Plan(ctx context.Context, env *Env) (*Plan, error) {
	p := &Plan{Stage: "files"}
	users, err := planAccounts(env, env.Config)
	if err != nil {
		return nil, err
	}
	p.Actions = append(p.Actions, users...)
	nodes, err := planNodes(env, env.Config)
	if err != nil {
		return nil, err
	}
	p.Actions = append(p.Actions, nodes...)
	units, err := planUnits(env, env.Config)
	if err != nil {
		return nil, err
	}
	p.Actions = append(p.Actions, units...)
	p.Actions = append(p.Actions, planCrypttab(env, env.Config)...)
	p.Actions = append(p.Actions, planMetadataUnit(env.Config)...)
	return p, nil
}

// Errors of the files stage.
var (
	ErrFileExists     = errors.New("a file exists there already and overwrite is false")
	ErrNotRegular     = errors.New("a non regular file exists there already and overwrite is false")
	ErrNotDirectory   = errors.New("a non-directory already exists and overwrite is false")
	ErrNodeExists     = errors.New("a different node exists there already and overwrite is false")
	ErrSamePath       = errors.New("two entries resolve to the same path")
	ErrOwnerNotFound  = errors.New("owner not found in the target root")
	ErrHardLinkTarget = errors.New("hard link target does not exist")
)

// Accounts resolves user and group names in the target root (never on the host).
type Accounts interface {
	UID(name string) (int, error)
	GID(name string) (int, error)
}

// nodeEntry is one file, directory or link of the config with what planning learnt about it.
type nodeEntry struct {
	kind     string // "file", "directory", "link", "hard link"
	cfgPath  config.Path
	node     *config.Node
	resolved string
	depth    int
}

func (n *nodeEntry) ConfigPath() config.Path { return n.cfgPath }

// planNodes orders the config's files, directories and links as they must be created
// (directories, files and symlinks by depth, then hard links, which may point anywhere), and
// turns each into an action after checking it against what is in the root.
func planNodes(env *Env, c *config.Config) ([]Action, error) {
	var entries []*nodeEntry
	add := func(kind string, p config.Path, n *config.Node) {
		entries = append(entries, &nodeEntry{kind: kind, cfgPath: p, node: n})
	}
	st := &c.Storage
	for i := range st.Directories {
		add("directory", config.Path{"storage", "directories", i}, &st.Directories[i].Node)
	}
	for i := range st.Files {
		add("file", config.Path{"storage", "files", i}, &st.Files[i].Node)
	}
	for i := range st.Links {
		kind := "link"
		if l := st.Links[i]; l.Hard != nil && *l.Hard {
			kind = "hard link"
		}
		add(kind, config.Path{"storage", "links", i}, &st.Links[i].Node)
	}
	seen := make(map[string]*nodeEntry, len(entries))
	for _, e := range entries {
		res, err := env.Root.Resolve(e.node.Path)
		if err != nil {
			return nil, &StepError{Stage: "files", Action: "resolve " + e.node.Path, Path: e.cfgPath, Err: err}
		}
		if prev, dup := seen[res]; dup {
			return nil, &StepError{Stage: "files", Action: "resolve " + e.node.Path, Path: e.cfgPath,
				Err: fmt.Errorf("%w: %s and %s are both %s", ErrSamePath, prev.node.Path, e.node.Path, res)}
		}
		seen[res] = e
		e.resolved = res
		e.depth = strings.Count(res, "/")
	}
	slices.SortStableFunc(entries, func(a, b *nodeEntry) int {
		ah, bh := a.kind == "hard link", b.kind == "hard link"
		switch {
		case ah != bh:
			if ah {
				return 1
			}
			return -1
		case ah:
			return 0 // hard links keep config order
		}
		return a.depth - b.depth
	})
	var actions []Action
	for _, e := range entries {
		a, err := planNode(env, c, e)
		if err != nil {
			return nil, &StepError{Stage: "files", Action: e.kind + " " + e.node.Path, Path: e.cfgPath, Err: err}
		}
		actions = append(actions, a...)
	}
	return actions, nil
}

func planNode(env *Env, c *config.Config, e *nodeEntry) ([]Action, error) {
	// Owners named in the config must exist (in the target, or among the users the config
	// creates) before anything is written.
	if _, _, err := owner(env, e.node, nil); err != nil {
		return nil, err
	}
	host := env.Root.Host(e.resolved)
	fi, err := os.Lstat(host)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	overwrite := e.node.Overwrite != nil && *e.node.Overwrite
	var out []Action
	remove := func() {
		if exists && overwrite {
			out = append(out, &removeAction{entry: e})
			exists = false
		}
	}
	i := e.cfgPath[2].(int)
	switch e.kind {
	case "file":
		f := &c.Storage.Files[i]
		hasSource := f.Contents.Source != nil
		if exists && !fi.Mode().IsRegular() {
			if !overwrite {
				return nil, ErrNotRegular
			}
			remove()
		} else if exists && hasSource {
			if !overwrite {
				return nil, ErrFileExists
			}
			remove()
		}
		out = append(out, &fileAction{entry: e, file: f, create: !exists, keepContents: exists && !hasSource})
	case "directory":
		d := &c.Storage.Directories[i]
		if exists && !fi.IsDir() {
			if !overwrite {
				return nil, ErrNotDirectory
			}
			remove()
		}
		out = append(out, &dirAction{entry: e, mode: d.Mode})
	case "link":
		l := &c.Storage.Links[i]
		target := deref(l.Target)
		if exists {
			if fi.Mode()&fs.ModeSymlink != 0 {
				if cur, err := os.Readlink(host); err == nil && path.Clean(cur) == path.Clean(target) {
					return []Action{&ownerAction{entry: e}}, nil
				}
			}
			if !overwrite {
				return nil, ErrNodeExists
			}
			remove()
		}
		out = append(out, &symlinkAction{entry: e, target: target})
	case "hard link":
		l := &c.Storage.Links[i]
		target := deref(l.Target)
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(e.node.Path), target)
		}
		resTarget, err := env.Root.ResolveAll(target)
		if err != nil {
			return nil, err
		}
		if exists {
			if tfi, err := os.Lstat(env.Root.Host(resTarget)); err == nil && os.SameFile(fi, tfi) {
				return nil, nil
			}
			if !overwrite {
				return nil, ErrNodeExists
			}
			remove()
		}
		out = append(out, &hardlinkAction{entry: e, target: resTarget})
	}
	return out, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// owner works out the uid and gid of a node: the config's, else the existing node's, else 0:0.
func owner(env *Env, n *config.Node, existing fs.FileInfo) (uid, gid int, err error) {
	if existing != nil {
		if st, ok := existing.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(st.Uid), int(st.Gid)
		}
	}
	if n.User.ID != nil {
		uid = *n.User.ID
	}
	if n.Group.ID != nil {
		gid = *n.Group.ID
	}
	if n.User.Name == nil && n.Group.Name == nil {
		return uid, gid, nil
	}
	acc, err := accounts(env)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %v", ErrOwnerNotFound, err)
	}
	if n.User.Name != nil {
		if uid, err = acc.UID(*n.User.Name); err != nil {
			return 0, 0, fmt.Errorf("%w: %v", ErrOwnerNotFound, err)
		}
	}
	if n.Group.Name != nil {
		if gid, err = acc.GID(*n.Group.Name); err != nil {
			return 0, 0, fmt.Errorf("%w: %v", ErrOwnerNotFound, err)
		}
	}
	return uid, gid, nil
}

// fsMode converts a config mode (permission bits plus setuid, setgid, sticky) to an fs.FileMode.
func fsMode(m int) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

type removeAction struct{ entry *nodeEntry }

func (a *removeAction) ConfigPath() config.Path { return a.entry.cfgPath }
func (a *removeAction) Describe() string        { return "remove " + a.entry.node.Path + " (overwrite)" }
func (a *removeAction) Apply(_ context.Context, env *Env) error {
	env.Root.Forget()
	return os.RemoveAll(env.Root.Host(a.entry.resolved))
}

type fileAction struct {
	entry        *nodeEntry
	file         *config.File
	create       bool // nothing is at the path yet
	keepContents bool // an existing file with no source in the config: only owner and mode change
}

func (a *fileAction) ConfigPath() config.Path { return a.entry.cfgPath }

func (a *fileAction) Describe() string {
	var b strings.Builder
	switch {
	case a.keepContents:
		b.WriteString("keep contents of " + a.file.Path)
	case a.file.Contents.Source != nil:
		b.WriteString("write " + a.file.Path + " from " + redactSource(*a.file.Contents.Source))
	default:
		b.WriteString("create empty " + a.file.Path)
	}
	if n := len(a.file.Append); n > 0 {
		fmt.Fprintf(&b, ", append %d fragment(s)", n)
	}
	if a.file.Mode != nil {
		fmt.Fprintf(&b, ", mode %04o", *a.file.Mode)
	}
	return b.String()
}

func (a *fileAction) Apply(ctx context.Context, env *Env) error {
	host := env.Root.Host(a.entry.resolved)
	var existing fs.FileInfo
	if !a.create { // planning saw something there (or removed it: then Lstat finds nothing)
		existing, _ = os.Lstat(host)
	}
	uid, gid, err := owner(env, &a.file.Node, existing)
	if err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if existing != nil {
		mode = existing.Mode().Perm()
	}
	if a.file.Mode != nil {
		mode = fsMode(*a.file.Mode)
	}
	if a.keepContents {
		// An existing file with no source in the config: only append, then owner and mode.
		for i := range a.file.Append {
			data, err := env.Resources.Get(ctx, &a.file.Append[i])
			if err != nil {
				return err
			}
			if err := appendFile(host, data); err != nil {
				return err
			}
		}
		if err := os.Lchown(host, uid, gid); err != nil {
			return err
		}
		return os.Chmod(host, mode)
	}
	var data []byte
	if a.file.Contents.Source != nil {
		if data, err = env.Resources.Get(ctx, &a.file.Contents); err != nil {
			return err
		}
	}
	for i := range a.file.Append {
		frag, err := env.Resources.Get(ctx, &a.file.Append[i])
		if err != nil {
			return err
		}
		data = append(data, frag...)
	}
	// Staged: written now with owner and mode, put in place with the stage's other files.
	return env.Root.StageFile(a.entry.resolved, data, mode, uid, gid)
}

func appendFile(host string, data []byte) error {
	f, err := os.OpenFile(host, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// redactSource names a resource in logs and plans without its secrets: data URLs are not
// shown, and URLs lose their user info and query.
func redactSource(s string) string {
	switch {
	case s == "":
		return "empty source"
	case strings.HasPrefix(s, "data:"):
		return fmt.Sprintf("inline data (%d bytes of URL)", len(s))
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		if at := strings.IndexByte(rest, '@'); at >= 0 && at < strings.IndexByte(rest+"/", '/') {
			rest = rest[at+1:]
		}
		s = scheme + "://" + rest
	}
	return s
}

type dirAction struct {
	entry *nodeEntry
	mode  *int
}

func (a *dirAction) ConfigPath() config.Path { return a.entry.cfgPath }
func (a *dirAction) Describe() string {
	if a.mode != nil {
		return fmt.Sprintf("directory %s, mode %04o", a.entry.node.Path, *a.mode)
	}
	return "directory " + a.entry.node.Path
}

func (a *dirAction) Apply(_ context.Context, env *Env) error {
	host := env.Root.Host(a.entry.resolved)
	existing, _ := os.Lstat(host)
	if existing == nil {
		if _, err := env.Root.MkdirAll(a.entry.resolved, 0o755); err != nil {
			return err
		}
	}
	uid, gid, err := owner(env, a.entry.node, existing)
	if err != nil {
		return err
	}
	if err := os.Lchown(host, uid, gid); err != nil {
		return err
	}
	if a.mode != nil {
		return os.Chmod(host, fsMode(*a.mode)|fs.ModeDir)
	}
	return nil
}

type symlinkAction struct {
	entry  *nodeEntry
	target string
}

func (a *symlinkAction) ConfigPath() config.Path { return a.entry.cfgPath }
func (a *symlinkAction) Describe() string {
	return "symlink " + a.entry.node.Path + " -> " + a.target
}

func (a *symlinkAction) Apply(_ context.Context, env *Env) error {
	if _, err := env.Root.MkdirAll(path.Dir(a.entry.resolved), 0o755); err != nil {
		return err
	}
	host := env.Root.Host(a.entry.resolved)
	if err := os.Symlink(a.target, host); err != nil {
		return err
	}
	return (&ownerAction{entry: a.entry}).Apply(context.Background(), env)
}

// ownerAction gives an existing node its configured owner.
type ownerAction struct{ entry *nodeEntry }

func (a *ownerAction) ConfigPath() config.Path { return a.entry.cfgPath }
func (a *ownerAction) Describe() string        { return "owner of " + a.entry.node.Path }
func (a *ownerAction) Apply(_ context.Context, env *Env) error {
	host := env.Root.Host(a.entry.resolved)
	fi, err := os.Lstat(host)
	if err != nil {
		return err
	}
	uid, gid, err := owner(env, a.entry.node, fi)
	if err != nil {
		return err
	}
	return os.Lchown(host, uid, gid)
}

type hardlinkAction struct {
	entry  *nodeEntry
	target string // resolved in-root path
}

func (a *hardlinkAction) ConfigPath() config.Path { return a.entry.cfgPath }
func (a *hardlinkAction) Describe() string {
	return "hard link " + a.entry.node.Path + " -> " + a.target
}

func (a *hardlinkAction) Apply(_ context.Context, env *Env) error {
	if err := env.Root.Sync(); err != nil { // the target may be a staged file
		return err
	}
	if _, err := env.Root.MkdirAll(path.Dir(a.entry.resolved), 0o755); err != nil {
		return err
	}
	if err := os.Link(env.Root.Host(a.target), env.Root.Host(a.entry.resolved)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s", ErrHardLinkTarget, a.target)
		}
		return err
	}
	return nil
}
