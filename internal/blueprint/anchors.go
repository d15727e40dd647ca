package blueprint

import (
	"slices"

	"github.com/microforge/microforge/internal/model"
)

// compile runs model.Compile on the system the builder built and reports
// its problems where the blueprint writes what they are about.
func (b *builder) compile(o Options) {
	for _, p := range model.Compile(b.sys, model.Options{History: o.History, AllowBreaking: o.AllowBreaking}) {
		b.errorf(b.place(p.At), p.Hint, "%s", p.Message)
	}
}

// place finds where the blueprint writes the element a names, falling back
// to the nearest element it writes (see model.AnchorKind).
func (b *builder) place(a model.Anchor) pos {
	top := pos{1, 1}
	switch a.Kind {
	case model.AtEvent:
		sb := b.svcs[a.Service.Name]
		if sb == nil {
			return top
		}
		for _, e := range sb.w.Events.Entries {
			if e.Key.V == a.Name {
				return e.Key.Pos
			}
		}
		return sb.w.Pos
	case model.AtField:
		if a.Field != nil {
			for _, sb := range b.order {
				if p, ok := sb.fieldPos[a.Field]; ok {
					return p
				}
			}
		}
		svc := a.Service
		if svc == nil && a.Entity != nil {
			svc = a.Entity.Message.Service
		}
		if a.Entity != nil && svc != nil {
			if sb := b.svcs[svc.Name]; sb != nil {
				for _, e := range sb.w.Entities.Entries {
					if e.Key.V == a.Entity.Name() {
						return e.Key.Pos
					}
				}
			}
		}
		return top
	case model.AtCommand, model.AtSets, model.AtSetsKey, model.AtSetsValue, model.AtFrom, model.AtFromItem:
		return b.placeInCommand(a)
	case model.AtOwner, model.AtOwnerAdminRole:
		sb := b.svcs[a.Service.Name]
		if sb == nil {
			return top
		}
		i := slices.IndexFunc(sb.w.Entities.Entries, func(e entry[entityWire]) bool { return e.Key.V == a.Entity.Name() })
		if i < 0 || sb.w.Entities.Entries[i].Value.Owner == nil {
			return sb.w.Pos
		}
		o := sb.w.Entities.Entries[i].Value.Owner
		if a.Kind == model.AtOwnerAdminRole && a.Index < len(o.AdminRoles.Items) {
			return o.AdminRoles.Items[a.Index].Pos
		}
		return o.Pos
	case model.AtTenancy:
		if tw := b.w.Tenancy; tw != nil {
			if tw.Column.Set {
				return tw.Column.Pos
			}
			return tw.Pos
		}
	}
	return top
}

func (b *builder) placeInCommand(a model.Anchor) pos {
	sb := b.svcs[a.Command.Service.Name]
	if sb == nil {
		return pos{1, 1}
	}
	i := slices.IndexFunc(sb.w.Commands.Entries, func(e entry[commandWire]) bool { return e.Key.V == a.Command.Name })
	if i < 0 {
		return sb.w.Pos
	}
	cw := sb.w.Commands.Entries[i]
	switch a.Kind {
	case model.AtSets:
		return cw.Value.Sets.Pos
	case model.AtSetsKey, model.AtSetsValue:
		for _, e := range cw.Value.Sets.Entries {
			if e.Key.V == a.Name {
				if a.Kind == model.AtSetsValue {
					return e.Value.Pos
				}
				return e.Key.Pos
			}
		}
	case model.AtFrom:
		return cw.Value.From.Pos
	case model.AtFromItem:
		for _, it := range cw.Value.From.Items {
			if it.V == a.Name {
				return it.Pos
			}
		}
		return cw.Value.From.Pos
	}
	return cw.Key.Pos
}
