package proto

import (
	"fmt"

	"github.com/microforge/microforge/internal/model"
)

// Hand-built models for tests that must not depend on the blueprint parser,
// and the synthetic systems of the benchmarks.

func scalar(s model.Scalar) *model.Type { return &model.Type{Kind: model.ScalarType, Scalar: s} }
func list(t *model.Type) *model.Type    { return &model.Type{Kind: model.ListType, Elem: t} }
func messageType(m *model.Message) *model.Type {
	return &model.Type{Kind: model.MessageType, Message: m}
}

func enumType(values ...string) *model.Type {
	e := &model.Enum{}
	for _, v := range values {
		e.Values = append(e.Values, &model.EnumValue{Name: v})
	}
	return &model.Type{Kind: model.EnumType, Enum: e}
}

// fields builds fields from name, type pairs.
func fields(pairs ...any) []*model.Field {
	var out []*model.Field
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, &model.Field{Name: pairs[i].(string), Type: pairs[i+1].(*model.Type)})
	}
	return out
}

func message(name string, kind model.MessageKind, pairs ...any) *model.Message {
	return &model.Message{Name: name, Kind: kind, Fields: fields(pairs...)}
}

func entity(svc *model.Service, name string, pairs ...any) *model.Entity {
	e := &model.Entity{Message: message(name, model.EntityMessage, pairs...)}
	svc.Entities = append(svc.Entities, e)
	return e
}

func event(svc *model.Service, name string, pairs ...any) *model.Message {
	m := message(name, model.EventMessage, pairs...)
	svc.Events = append(svc.Events, m)
	return m
}

func command(svc *model.Service, name string, emits []*model.Message, pairs ...any) {
	svc.Commands = append(svc.Commands, &model.Command{
		Name: name, Service: svc, Input: &model.Message{Fields: fields(pairs...)}, Emits: emits,
	})
}

func query(svc *model.Service, name string, result *model.Type, pairs ...any) {
	svc.Queries = append(svc.Queries, &model.Query{
		Name: name, Service: svc, Input: &model.Message{Fields: fields(pairs...)}, Result: result,
	})
}

// handShop is blueprints/shop.yaml's services, built by hand.
func handShop() *model.System {
	str, i32, i64 := scalar(model.String), scalar(model.Int32), scalar(model.Int64)
	orders := &model.Service{Name: "orders", Description: "Takes and tracks customer orders."}
	lineItem := message("LineItem", model.TypeMessage, "sku", str, "quantity", i32, "price_cents", i64)
	orders.Types = []*model.Message{lineItem}
	order := entity(orders, "Order", "customer_id", str, "items", list(messageType(lineItem)), "total_cents", i64,
		"status", enumType("pending", "confirmed", "cancelled"))
	placed := event(orders, "OrderPlaced", "order_id", str, "customer_id", str, "items", list(messageType(lineItem)), "total_cents", i64)
	confirmed := event(orders, "OrderConfirmed", "order_id", str)
	cancelled := event(orders, "OrderCancelled", "order_id", str, "reason", str)
	command(orders, "PlaceOrder", []*model.Message{placed}, "customer_id", str, "items", list(messageType(lineItem)))
	command(orders, "ConfirmOrder", []*model.Message{confirmed}, "order_id", str)
	command(orders, "CancelOrder", []*model.Message{cancelled}, "order_id", str, "reason", str)
	query(orders, "GetOrder", messageType(order.Message), "order_id", str)
	query(orders, "ListOrders", list(messageType(order.Message)), "customer_id", str)

	payments := &model.Service{Name: "payments", Description: "Captures and refunds payments."}
	payment := entity(payments, "Payment", "order_id", str, "amount_cents", i64, "status", enumType("captured", "refunded"))
	captured := event(payments, "PaymentCaptured", "order_id", str, "amount_cents", i64)
	refunded := event(payments, "PaymentRefunded", "order_id", str)
	command(payments, "CapturePayment", []*model.Message{captured}, "order_id", str, "amount_cents", i64)
	command(payments, "RefundPayment", []*model.Message{refunded}, "order_id", str)
	query(payments, "GetPayment", messageType(payment.Message), "order_id", str)

	inventory := &model.Service{Name: "inventory", Description: "Keeps stock levels and reservations."}
	stock := entity(inventory, "Stock", "sku", str, "available", i32)
	reserved := event(inventory, "StockReserved", "order_id", str)
	released := event(inventory, "StockReleased", "order_id", str)
	command(inventory, "ReserveStock", []*model.Message{reserved}, "order_id", str, "items", list(messageType(lineItem)))
	command(inventory, "ReleaseStock", []*model.Message{released}, "order_id", str)
	query(inventory, "GetStock", messageType(stock.Message), "sku", str)
	inventory.Consumes = []*model.Message{cancelled}
	orders.Calls = []*model.Service{inventory}

	sys := &model.System{Name: "shop", Module: "github.com/acme/shop", Services: []*model.Service{orders, payments, inventory}}
	compile(sys)
	return sys
}

// synthetic returns n services, each with an entity (with an enum and a
// timestamp), three commands, two queries and three events; each service
// after the first also reads the previous one's entity, so packages import
// each other in a chain.
func synthetic(n int) *model.System {
	str, i32 := scalar(model.String), scalar(model.Int32)
	sys := &model.System{Name: "synth", Module: "example.com/synth"}
	var prev *model.Entity
	for i := 0; i < n; i++ {
		svc := &model.Service{Name: fmt.Sprintf("svc%d", i), Description: fmt.Sprintf("Service number %d.", i)}
		name := fmt.Sprintf("Item%d", i)
		ent := entity(svc, name, "title", str, "count", i32, "created_at", scalar(model.Timestamp),
			"state", enumType("open", "closed", "archived"))
		created := event(svc, name+"Created", "item_id", str, "title", str)
		closed := event(svc, name+"Closed", "item_id", str)
		archived := event(svc, name+"Archived", "item_id", str)
		command(svc, "Create"+name, []*model.Message{created}, "title", str, "count", i32)
		command(svc, "Close"+name, []*model.Message{closed}, "item_id", str)
		if prev != nil {
			command(svc, "Archive"+name, []*model.Message{archived}, "item_id", str, "previous", messageType(prev.Message))
		} else {
			command(svc, "Archive"+name, []*model.Message{archived}, "item_id", str)
		}
		query(svc, "Get"+name, messageType(ent.Message), "item_id", str)
		query(svc, "List"+name+"s", list(messageType(ent.Message)), "title", str)
		sys.Services = append(sys.Services, svc)
		prev = ent
	}
	compile(sys)
	return sys
}

// compile runs model.Compile on a hand-built system, which must have no
// problems.
func compile(sys *model.System) {
	if problems := model.Compile(sys, model.Options{}); len(problems) > 0 {
		panic(problems[0].Message)
	}
}
