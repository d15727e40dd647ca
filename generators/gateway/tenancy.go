package gateway

import (
	"fmt"

	"github.com/microforge/microforge/internal/model"
)

// tenancyTest is the gateway's two-tenant test: a token without the
// tenant claim is refused, and an entity created through the gateway in
// one tenant is read back by id in that tenant only.
type tenancyTest struct {
	Claim string // the tenant claim, "tenant"
	// Of a routed creating command and a routed query reading its entity
	// by id; Create is "" when no route has both.
	Create, Read string // REST paths, "/v1/orders/place_order"
	Body         string // Go string literal of the create request as protojson
	Entity       string // JSON name of the entity in both responses, "order"
	IDParam      string // REST query parameter of the id, "order_id"
	CreateRole   string // role of the tokens; "" for any
	ReadRole     string
}

// newTenancyTest returns the two-tenant test, nil without tenancy.
func newTenancyTest(sys *model.System) *tenancyTest {
	if sys.Tenancy == nil {
		return nil
	}
	out := &tenancyTest{Claim: sys.Tenancy.Claim}
	for _, r := range sys.Gateway.Routes {
		for _, c := range r.Commands {
			if c.Mode != model.ModeCreate || c.Entity == nil || len(c.Output.Fields) != 1 {
				continue
			}
			for _, rr := range sys.Gateway.Routes {
				for _, q := range rr.Queries {
					if q.Entity != c.Entity || q.ByID == nil || q.List {
						continue
					}
					prefix := r.Service.Versions[len(r.Service.Versions)-1].HTTPPrefix
					out.Create, out.Read = prefix+"/"+c.Snake, prefix+"/"+q.Snake
					out.Body = fmt.Sprintf("%q", sampleJSON(sampleRequest(c.Input, c.OwnerInput, testSubject(sys))))
					out.Entity, out.IDParam = c.Output.Fields[0].JSONName, q.ByID.Name
					out.CreateRole, out.ReadRole = acceptRole(r), acceptRole(rr)
					return out
				}
			}
		}
	}
	return out
}
