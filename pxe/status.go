package pxe

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/flint-provision/flint/stages"
)

// Machine results, as the status page shows them.
const (
	ResultBooted       = "booted"       // the server sent a boot script; nothing reported yet
	ResultProvisioning = "provisioning" // a stage has reported
	ResultProvisioned  = "provisioned"  // the run finished successfully
	ResultFailed       = "failed"       // a stage failed
)

// Status events a machine posts.
const (
	EventStarted = "started"
	EventSuccess = "success"
	EventFailure = "failure"
)

// StageComplete is the stage name of the event that ends a run: success means provisioned.
// (A failure of any stage ends the run as failed.)
const StageComplete = "complete"

// maxLogTail bounds the log a machine may store per stage.
const maxLogTail = 16 << 10

// ErrStatus is the error of a malformed status report.
var ErrStatus = errors.New("invalid status report")

// StatusReport is what a machine posts to /status: one stage's event, or the agent's whole
// report at the end of the run.
type StatusReport struct {
	// Token is the machine's token (from its flint.config.url); it may instead be given as
	// the token query parameter.
	Token   string `json:"token,omitempty"`
	Stage   string `json:"stage"`
	Event   string `json:"event"`
	Message string `json:"message,omitempty"`
	// Log is the tail of the stage's log.
	Log string `json:"log,omitempty"`
	// Report is the agent's report (stages.Report); its result ends the run.
	Report *stages.Report `json:"report,omitempty"`
}

// MachineStatus is the server's record of one machine.
type MachineStatus struct {
	ID       string    `json:"id"`
	Labels   Labels    `json:"labels"`
	Group    string    `json:"group,omitempty"`
	Profile  string    `json:"profile,omitempty"`
	Boots    int       `json:"boots"`
	LastBoot time.Time `json:"lastBoot,omitzero"`
	// Result is booted, provisioning, provisioned or failed, for the last boot.
	Result string `json:"result"`
	// Error is the failure that ended the last run.
	Error string `json:"error,omitempty"`
	// ProvisionedAt is when a run last succeeded; it survives later boots.
	ProvisionedAt time.Time     `json:"provisionedAt,omitzero"`
	Updated       time.Time     `json:"updated,omitzero"`
	Stages        []StageStatus `json:"stages,omitempty"`
	// Report is the last report the agent posted.
	Report *stages.Report `json:"report,omitempty"`
}

// StageStatus is one stage of the last boot.
type StageStatus struct {
	Name     string    `json:"name"`
	Result   string    `json:"result"` // started, success or failure
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	Message  string    `json:"message,omitempty"`
	Log      string    `json:"log,omitempty"`
}

// recordBoot starts a new boot in the record: the stages of the previous one are dropped.
func (st *MachineStatus) recordBoot(now time.Time, l Labels, group, profile string) {
	st.Labels = l
	st.Group, st.Profile = group, profile
	st.Boots++
	st.LastBoot, st.Updated = now, now
	st.Result, st.Error = ResultBooted, ""
	st.Stages, st.Report = nil, nil
}

// check validates a report before it changes anything.
func (r *StatusReport) check() error {
	if r.Report != nil && r.Stage == "" && r.Event == "" {
		return nil
	}
	if r.Stage == "" || len(r.Stage) > 64 {
		return fmt.Errorf("%w: stage must be 1 to 64 characters", ErrStatus)
	}
	switch r.Event {
	case EventStarted, EventSuccess, EventFailure:
	default:
		return fmt.Errorf("%w: event %q is not started, success or failure", ErrStatus, r.Event)
	}
	return nil
}

// apply records a machine's report.
func (st *MachineStatus) apply(now time.Time, r *StatusReport) {
	st.Updated = now
	if st.Result == "" || st.Result == ResultBooted {
		st.Result = ResultProvisioning
	}
	if r.Stage != "" {
		st.applyStage(now, r)
	}
	if r.Report != nil {
		st.Report = r.Report
		switch r.Report.Result {
		case "success":
			st.Result, st.Error, st.ProvisionedAt = ResultProvisioned, "", now
		case "failed":
			st.Result = ResultFailed
			if e := r.Report.Error; e != nil {
				st.Error = e.Stage + ": " + e.Message
			}
		}
	}
}

func (st *MachineStatus) applyStage(now time.Time, r *StatusReport) {
	log := r.Log
	if len(log) > maxLogTail {
		log = log[len(log)-maxLogTail:]
	}
	var s *StageStatus
	for i := range st.Stages {
		if st.Stages[i].Name == r.Stage {
			s = &st.Stages[i]
		}
	}
	if s == nil || r.Event == EventStarted {
		st.Stages = append(st.Stages, StageStatus{Name: r.Stage})
		s = &st.Stages[len(st.Stages)-1]
	}
	s.Result, s.Message, s.Log = r.Event, r.Message, log
	if r.Event == EventStarted {
		s.Started = now
	} else {
		s.Finished = now
	}
	switch {
	case r.Event == EventFailure:
		st.Result = ResultFailed
		st.Error = r.Stage
		if r.Message != "" {
			st.Error += ": " + r.Message
		}
	case r.Stage == StageComplete && r.Event == EventSuccess:
		st.Result, st.Error, st.ProvisionedAt = ResultProvisioned, "", now
	}
}

var machineIDPattern = regexp.MustCompile(`^[0-9a-z][0-9a-z.-]{0,127}$`)

func validMachineID(id string) bool { return machineIDPattern.MatchString(id) }

// MachineID names a machine in status records: its MAC in hyphen form, else its UUID, else a
// hash of all its labels. It is also a file name, so it keeps to [0-9a-z.-].
func MachineID(l Labels) string {
	if m := l[LabelMAC]; m != "" {
		return strings.ReplaceAll(m, ":", "-")
	}
	if u := l[LabelUUID]; u != "" {
		if id := "uuid-" + u; validMachineID(id) {
			return id
		}
	}
	sum := sha256.Sum256([]byte(l.Query()))
	return "labels-" + hex.EncodeToString(sum[:8])
}
