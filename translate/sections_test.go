package translate

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/flint-provision/flint/config"
)

// positionCase is a document with » marking where a diagnostic must point, and the
// diagnostic's error, severity and path.
type positionCase struct {
	name     string
	doc      string
	wantErr  error
	wantSev  config.Severity
	wantPath string
}

// checkPositions translates each case (with the » removed) and checks that a diagnostic with
// the wanted error sits at the marked line and column, with the wanted severity and path.
func checkPositions(t *testing.T, tests []positionCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := strings.Index(tt.doc, "»")
			if mark < 0 {
				t.Fatalf("case %q has no » marker", tt.name)
			}
			doc := tt.doc[:mark] + tt.doc[mark+len("»"):]
			wantLine := strings.Count(doc[:mark], "\n") + 1
			wantCol := mark - strings.LastIndex(doc[:mark], "\n")
			_, rep := Translate("c.yaml", []byte(doc), Options{FilesDir: testFilesDir})
			for _, d := range rep {
				if !errors.Is(d.Err, tt.wantErr) {
					continue
				}
				got := fmt.Sprintf("%d:%d %s %s", d.Line, d.Column, d.Severity, d.Path)
				want := fmt.Sprintf("%d:%d %s %s", wantLine, wantCol, tt.wantSev, tt.wantPath)
				if got != want {
					t.Errorf("Translate(%q) diagnostic at %s, want %s (%s)", doc, got, want, d)
				}
				return
			}
			t.Errorf("Translate(%q) = %v, want a %v diagnostic", doc, rep, tt.wantErr)
		})
	}
}
