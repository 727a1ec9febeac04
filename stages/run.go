package stages

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Run plans and applies the named stages in Order (all of them when names is empty), records
// each in the state directory's report, and on success of the files stage writes the report
// into the target. Stages after the fetch stages read the config the fetch stages cached.
func Run(ctx context.Context, env *Env, names []string) error {
	return run(ctx, env, names)
}

// PlanOnly computes the plans of the named stages without applying them.
func PlanOnly(ctx context.Context, env *Env, names []string) ([]*Plan, error) {
	var plans []*Plan
	for _, name := range selected(names) {
		s, err := Get(name)
		if err != nil {
			return nil, err
		}
		if err := loadConfig(ctx, env, name); err != nil {
			return plans, err
		}
		p, err := s.Plan(ctx, env)
		if err != nil {
			return plans, err
		}
		// In a dry run nothing is cached: the config found by a fetch stage stays in env for
		// the stages after it.
		plans = append(plans, p)
	}
	return plans, nil
}

func selected(names []string) []string {
	if len(names) == 0 {
		return Order
	}
	return names
}

// loadConfig gives a non-fetch stage the cached config; with an explicit config source (a
// stage run by hand with --config) it reads that instead when nothing is cached.
func loadConfig(ctx context.Context, env *Env, stage string) error {
	if strings.HasPrefix(stage, "fetch") || env.Config != nil {
		return nil
	}
	c, err := loadCache(env.StateDir)
	if errors.Is(err, ErrNoCache) && env.ConfigSource != "" {
		c, env.userConfigProvided, err = acquire(ctx, env, env.fetcher())
	}
	if err != nil {
		return err
	}
	env.Config = c
	return nil
}

func run(ctx context.Context, env *Env, names []string) error {
	if env.Resources == nil {
		env.Resources = cachedResources{env}
	}
	env.keepLogTail()
	rep, err := LoadReport(env.StateDir)
	if err != nil {
		return err
	}
	rep.Platform = env.Platform
	if rep.BootID == "" {
		if b, err := os.ReadFile(env.sysPath("/proc/sys/kernel/random/boot_id")); err == nil {
			rep.BootID = strings.TrimSpace(string(b))
		}
	}
	for _, name := range selected(names) {
		s, err := Get(name)
		if err != nil {
			return err
		}
		start := time.Now()
		sr := StageReport{Name: name, Started: start.UTC()}
		env.postStatus(ctx, statusEvent{Stage: name, Event: "started"})
		err = loadConfig(ctx, env, name)
		var p *Plan
		if err == nil {
			p, err = s.Plan(ctx, env)
		}
		if err == nil {
			sr.Actions = len(p.Actions)
			err = Apply(ctx, env, p)
		}

		sr.Duration = time.Since(start).Seconds()
		if err != nil {
			sr.Result = "failed"
			rep.Stages = append(rep.Stages, sr)
			rep.fail(name, err)
			if saveErr := rep.Save(env.StateDir); saveErr != nil {
				env.Log.Error("cannot save the report", "error", saveErr)
			}
			env.Log.Error(name+" failed", "error", err.Error())
			env.postStatus(ctx, statusEvent{Stage: name, Event: "failure", Message: err.Error()})
			return err
		}
		sr.Result = "success"
		rep.Stages = append(rep.Stages, sr)
		env.postStatus(ctx, statusEvent{Stage: name, Event: "success"})
		if env.configHash != "" {
			rep.ConfigHash = env.configHash
			rep.UserConfigProvided = rep.UserConfigProvided || env.userConfigProvided
		}
		if name == "files" {
			rep.Result = "success"
			data, err := rep.marshal()
			if err == nil {
				err = env.Root.WriteFile(ResultPath, data, 0o600, 0, 0)
			}
			if err != nil {
				return &StepError{Stage: name, Action: "write " + ResultPath, Err: err}
			}
			env.postStatus(ctx, statusEvent{Stage: "complete", Event: "success", Report: rep})
		}
		if err := rep.Save(env.StateDir); err != nil {
			return fmt.Errorf("save the report: %w", err)
		}
		env.Log.Info(name + " passed")
	}
	return nil
}
