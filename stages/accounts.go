package stages

import (
	"context"
	"fmt"

	"github.com/flint-provision/flint/config"
	"github.com/flint-provision/flint/internal/passwd"
)

// Users and groups: the whole change is computed in memory while planning (so an impossible
// request fails before anything is written) and committed by one action, first in the files
// stage, so that files can then be owned by the new users.

// accountDB adapts a passwd.Database to Accounts.
type accountDB struct{ db *passwd.Database }

func (a accountDB) UID(name string) (int, error) {
	if id, ok := a.db.UserID(name); ok {
		return id, nil
	}
	return 0, fmt.Errorf("no user %q in the target's /etc/passwd", name)
}

func (a accountDB) GID(name string) (int, error) {
	if id, ok := a.db.GroupID(name); ok {
		return id, nil
	}
	return 0, fmt.Errorf("no group %q in the target's /etc/group", name)
}

// planAccounts applies the config's groups, then users, to the target's account database in
// memory and returns the action that writes it. It also makes the database the stage's
// Accounts, so file owners resolve against the users the config creates.
func planAccounts(env *Env, c *config.Config) ([]Action, error) {
	pw := &c.Passwd
	if len(pw.Users) == 0 && len(pw.Groups) == 0 {
		return nil, nil
	}
	db, err := passwd.Load(env.Root.Dir())
	if err != nil {
		return nil, &StepError{Stage: "files", Action: "read the target's accounts", Path: config.Path{"passwd"}, Err: err}
	}
	for i, g := range pw.Groups {
		spec := passwd.GroupSpec{Name: g.Name, GID: g.Gid, PasswordHash: g.PasswordHash, ShouldExist: g.ShouldExist,
			System: deref(g.System)}
		if err := db.EnsureGroup(spec); err != nil {
			return nil, &StepError{Stage: "files", Action: "group " + g.Name, Path: config.Path{"passwd", "groups", i}, Err: err}
		}
	}
	for i, u := range pw.Users {
		spec := passwd.UserSpec{Name: u.Name, PasswordHash: u.PasswordHash, SSHAuthorizedKeys: u.SSHAuthorizedKeys,
			UID: u.UID, Gecos: u.Gecos, HomeDir: u.HomeDir, PrimaryGroup: u.PrimaryGroup, Groups: u.Groups,
			Shell: u.Shell, ShouldExist: u.ShouldExist, NoCreateHome: deref(u.NoCreateHome),
			NoUserGroup: deref(u.NoUserGroup), System: deref(u.System), NoLogInit: deref(u.NoLogInit)}
		if err := db.EnsureUser(spec); err != nil {
			return nil, &StepError{Stage: "files", Action: "user " + u.Name, Path: config.Path{"passwd", "users", i}, Err: err}
		}
	}
	env.Accounts = accountDB{db}
	return []Action{&accountsAction{db: db, users: len(pw.Users), groups: len(pw.Groups)}}, nil
}

type accountsAction struct {
	db            *passwd.Database
	users, groups int
}

func (a *accountsAction) Describe() string {
	return fmt.Sprintf("write users and groups (%d users, %d groups) to /etc/passwd, shadow, group, gshadow", a.users, a.groups)
}

func (a *accountsAction) Apply(context.Context, *Env) error { return a.db.Commit() }

// accounts returns the Accounts to resolve owners with: the stage's database, else the
// target's as it is.
func accounts(env *Env) (Accounts, error) {
	if env.Accounts != nil {
		return env.Accounts, nil
	}
	db, err := passwd.Load(env.Root.Dir())
	if err != nil {
		return nil, err
	}
	env.Accounts = accountDB{db}
	return env.Accounts, nil
}
