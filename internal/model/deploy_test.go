package model

import "testing"

func TestImages(t *testing.T) {
	for _, tc := range []struct{ module, want string }{
		{"github.com/Acme/Shop", "ghcr.io/acme/shop/order-history"},
		{"gitlab.com/acme/shop", "registry.gitlab.com/acme/shop/order-history"},
		{"example.com/travel", "registry.example.com/travel/order-history"},
		{"shop", "registry.shop/shop/order-history"},
	} {
		svc := &Service{Name: "order_history"}
		sys := &System{Name: "shop", Module: tc.module, Services: []*Service{svc}, Gateway: &Gateway{}}
		decideDeploy(sys)
		if svc.Image != tc.want {
			t.Errorf("module %s: image %s, want %s", tc.module, svc.Image, tc.want)
		}
	}
	sys := &System{Name: "shop", Module: "github.com/Acme/Shop", Gateway: &Gateway{}}
	decideDeploy(sys)
	if sys.GatewayImage != "ghcr.io/acme/shop/gateway" {
		t.Errorf("gateway image %s", sys.GatewayImage)
	}
	sys.Gateway = nil
	if decideDeploy(sys); sys.GatewayImage != "" {
		t.Errorf("a system without a gateway has gateway image %s", sys.GatewayImage)
	}
}
