package stages

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/flint-provision/flint/internal/rootfs"
)

// Report is the record of a provisioning run. Each stage is a separate process at first
// boot, so the report lives in the state directory and every stage adds its entry; the files
// stage also writes it into the target as /etc/.flint-result.json, and a failed run leaves it
// for the console message and the emergency shell.
type Report struct {
	// Result is "success", "failed" or "running".
	Result string `json:"result"`
	// Platform is the platform id the run used.
	Platform string `json:"platform,omitempty"`
	// ConfigHash is the SHA-512 of the rendered config, so that it can be compared without
	// storing its secrets.
	ConfigHash string `json:"configHash,omitempty"`
	// UserConfigProvided is false when no source had a config (an empty config was applied).
	UserConfigProvided bool `json:"userConfigProvided"`
	// BootID is the kernel's boot id of the provisioning boot.
	BootID string        `json:"bootId,omitempty"`
	Stages []StageReport `json:"stages"`
	// Error is the first failure, with the config entry it came from.
	Error *ReportError `json:"error,omitempty"`
}

// StageReport is one stage's entry in a Report.
type StageReport struct {
	Name     string    `json:"name"`
	Started  time.Time `json:"started"`
	Duration float64   `json:"durationSeconds"`
	Actions  int       `json:"actions"`
	Result   string    `json:"result"`
}

// ReportError describes a failure for people and tools.
type ReportError struct {
	Stage   string `json:"stage"`
	Action  string `json:"action,omitempty"`
	Config  string `json:"config,omitempty"` // JSON path of the config entry
	Message string `json:"message"`
}

const reportFile = "report.json"

// ResultPath is where the report is written in the target root.
const ResultPath = "/etc/.flint-result.json"

// LoadReport reads the state directory's report, or returns a new one.
func LoadReport(stateDir string) (*Report, error) {
	b, err := os.ReadFile(filepath.Join(stateDir, reportFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &Report{Result: "running"}, nil
	}
	if err != nil {
		return nil, err
	}
	r := &Report{}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, err
	}
	return r, nil
}

// Save writes the report to the state directory atomically.
func (r *Report) Save(stateDir string) error {
	b, err := r.marshal()
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(stateDir, reportFile), b, 0o600)
}

func (r *Report) marshal() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// fail records err as the run's failure.
func (r *Report) fail(stage string, err error) {
	r.Result = "failed"
	re := &ReportError{Stage: stage, Message: err.Error()}
	var se *StepError
	if errors.As(err, &se) {
		re.Action = se.Action
		re.Message = se.Err.Error()
		if len(se.Path) > 0 {
			re.Config = se.Path.String()
		}
	}
	r.Error = re
}

func hashConfig(b []byte) string {
	sum := sha512.Sum512(b)
	return "sha512-" + hex.EncodeToString(sum[:])
}

// writeAtomic writes a host file atomically (the state directory's files).
func writeAtomic(p string, data []byte, perm fs.FileMode) error {
	return rootfs.WriteHostFile(p, data, perm)
}
