package service

// tenancyTestView is what internal/local/tenancy_test.go does in two
// tenants: the end-to-end scenario's creates and reads of every service,
// and its sagas.
type tenancyTestView struct {
	Sys             *systemView
	Services        []*e2eService
	Sagas           []*e2eSaga
	ConsistentReads bool
	Imports         imports
	// Refused is a service whose create command a call without a tenant
	// tries; nil when no service creates.
	Refused *e2eService
}

// newTenancyTestView returns the view of the two-tenant test, nil without
// tenancy.
func newTenancyTestView(sv *systemView) *tenancyTestView {
	if sv.Tenancy == nil {
		return nil
	}
	im := imports{}.add("net/http", "testing", "connectrpc.com/connect",
		sv.Module+"/internal/local", sv.Module+"/internal/platform/logging")
	v := &tenancyTestView{Sys: sv, Imports: im}
	for _, s := range sv.Services {
		v.ConsistentReads = v.ConsistentReads || s.CQRS
		if !e2eTestable(s.model) {
			continue
		}
		es := newE2EService(s, im)
		if es.Create == nil {
			continue
		}
		v.Services = append(v.Services, es)
		if v.Refused == nil {
			v.Refused = es
		}
	}
	// The sagas' calls need what their samples import; the helpers of the
	// end-to-end test they come with are not used here.
	sagaImports := imports{}
	v.Sagas = newE2ESagas(sv, sagaImports)
	delete(sagaImports, "fmt")
	delete(sagaImports, "sync")
	for p, name := range sagaImports {
		im[p] = name
	}
	if sv.Broker {
		im.add("os")
	}
	return v
}
