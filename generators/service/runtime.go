package service

import (
	"github.com/microforge/microforge/internal/files"
	mfruntime "github.com/microforge/microforge/internal/runtime"
)

// runtimeDirs are the runtime packages (see internal/runtime) a system
// gets, each with the condition under which it ships.
var runtimeDirs = []struct {
	dir   string
	ships func(*systemView) bool
}{
	{"dashboard", always},
	{"dashboard/templates", always},
	{"platform/client", always},
	{"platform/app", always},
	{"platform/app/apptest", always},
	{"platform/checked", func(sv *systemView) bool { return sv.Checked }},
	{"platform/config", always},
	{"platform/database", always},
	{"platform/database/dbtest", always},
	{"platform/idempotency", always},
	{"platform/identity", always},
	{"platform/lease", always},
	{"platform/events", always},
	{"platform/events/embedded", always},
	{"platform/logging", always},
	{"platform/outbox", always},
	{"platform/replica", always},
	{"platform/ownership", func(sv *systemView) bool { return sv.Ownership }},
	{"platform/server", always},
	{"platform/saga", func(sv *systemView) bool { return len(sv.model.Sagas) > 0 }},
	{"platform/telemetry", always},
	{"platform/tenant", func(sv *systemView) bool { return sv.Tenancy != nil }},
	{"platform/validation", func(sv *systemView) bool { return sv.Validation }},
}

func always(*systemView) bool { return true }

// runtimeFiles returns the runtime files of the system: copies of
// microforge's runtime packages of the system's variant, except the files a
// template renders (rendered holds their paths).
func runtimeFiles(sv *systemView, rendered map[string]bool) ([]files.File, error) {
	tags := map[string]bool{"tenancy": sv.Tenancy != nil}
	var out []files.File
	for _, d := range runtimeDirs {
		if !d.ships(sv) {
			continue
		}
		fs, err := mfruntime.Package(d.dir, sv.Module, tags, Name)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if !rendered[f.Path] {
				out = append(out, f)
			}
		}
	}
	return out, nil
}
