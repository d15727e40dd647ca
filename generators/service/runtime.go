package service

import (
	"strings"

	"github.com/microforge/microforge/internal/files"
	mfruntime "github.com/microforge/microforge/internal/runtime"
)

// runtimeDirs are the runtime packages (see internal/runtime) a system
// gets, each with the condition under which it ships.
var runtimeDirs = []struct {
	dir   string
	ships func(*systemView) bool
}{
	{"platform/checked", func(sv *systemView) bool { return sv.Checked }},
	{"platform/config", always},
	{"platform/database", always},
	{"platform/database/dbtest", always},
	{"platform/idempotency", always},
	{"platform/events", always},
	{"platform/events/embedded", always},
	{"platform/logging", always},
	{"platform/outbox", always},
	{"platform/saga", func(sv *systemView) bool { return len(sv.model.Sagas) > 0 }},
	{"platform/telemetry", always},
	{"platform/tenant", func(sv *systemView) bool { return sv.Tenancy != nil }},
	{"platform/validation", func(sv *systemView) bool { return sv.Validation }},
}

func always(*systemView) bool { return true }

// runtimeFiles returns the runtime files of the system: copies of
// microforge's runtime packages of the system's variant, except the files a
// template renders (rendered holds their paths). They are already gofmt's
// output: a test checks every runtime file is.
func runtimeFiles(sv *systemView, rendered map[string]bool) ([]files.File, error) {
	tags := map[string]bool{"tenancy": sv.Tenancy != nil}
	var out []files.File
	for _, d := range runtimeDirs {
		if !d.ships(sv) {
			continue
		}
		rfs, err := mfruntime.Files(d.dir, sv.Module, tags)
		if err != nil {
			return nil, err
		}
		for _, rf := range rfs {
			if rendered[rf.Path] || nested(d.dir, rf.Path) {
				continue
			}
			f := files.File{Path: rf.Path, Content: rf.Content, Policy: files.Owned, Generator: Name}
			if strings.HasSuffix(rf.Path, ".go") {
				f.Content = append([]byte(files.GoHeader+"\n\n"), rf.Content...)
				f.Formatted = true
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// nested reports whether p lies in a package below dir rather than in dir:
// each runtime package ships on its own condition.
func nested(dir, p string) bool {
	rel := strings.TrimPrefix(p, "internal/"+dir+"/")
	return strings.Contains(rel, "/")
}
