package service

import "slices"

// identityView is what internal/local/identity_test.go checks against the
// running system: per service, one call an allowed caller makes and one a
// caller outside the blueprint's call graph makes.
type identityView struct {
	Sys     *systemView
	Allowed []*identityCase
	Denied  []*identityCase
	Open    []*identityCase // one procedure per service, called without a token
}

// identityCase is a call of Procedure on Callee as Caller.
type identityCase struct {
	Caller, Callee string
	Method         string // "GetOrder"
	Procedure      string // "/shop.orders.v1.OrdersService/GetOrder"
}

// newIdentityView picks the cases: for every service and every other
// deployable, the first procedure (queries before commands: a query changes
// nothing whatever the request) the deployable may call, and the first it
// may not.
func newIdentityView(sv *systemView) *identityView {
	v := &identityView{Sys: sv}
	type proc struct {
		method, path string
		callers      []string
	}
	for _, svc := range sv.model.Services {
		var procs []proc
		for _, q := range svc.Queries {
			procs = append(procs, proc{q.Name, q.Procedure, q.Callers})
		}
		for _, c := range svc.Commands {
			procs = append(procs, proc{c.Name, c.Procedure, c.Callers})
		}
		if len(procs) == 0 {
			continue
		}
		v.Open = append(v.Open, &identityCase{Callee: svc.Name, Method: procs[0].method, Procedure: procs[0].path})
		for _, caller := range sv.Deployables {
			if caller == svc.Name {
				continue
			}
			var allowed, denied *identityCase
			for _, p := range procs {
				c := &identityCase{Caller: caller, Callee: svc.Name, Method: p.method, Procedure: p.path}
				switch {
				case slices.Contains(p.callers, caller) && allowed == nil:
					allowed = c
				case !slices.Contains(p.callers, caller) && denied == nil:
					denied = c
				}
			}
			if allowed != nil {
				v.Allowed = append(v.Allowed, allowed)
			}
			if denied != nil {
				v.Denied = append(v.Denied, denied)
			}
		}
	}
	return v
}
