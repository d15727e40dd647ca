package blueprint

import (
	"fmt"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

const (
	sourceSagaID    = "saga.id"
	sourceSagaError = "saga.error"
)

func (b *builder) buildSagas() {
	names := map[string]pos{}
	for i := range b.w.Sagas.Items {
		sw := &b.w.Sagas.Items[i]
		if sw.Bad {
			continue
		}
		sg := &model.Saga{}
		if b.required(sw.Name, "name", sw.Pos, "saga") && b.lowerName(sw.Name, "saga") {
			if goKeywords[sw.Name.V] {
				b.errorf(sw.Name.Pos, "", "saga name %q is a Go keyword", sw.Name.V)
			} else if prev, ok := names[sw.Name.V]; ok {
				b.errorf(sw.Name.Pos, "", "duplicate saga %q (first at line %d)", sw.Name.V, prev.Line)
			} else {
				names[sw.Name.V] = sw.Name.Pos
				sg.Name = sw.Name.V
			}
		}
		label := "saga " + sw.Name.V
		orch := sw.Orchestrator.Set && !sw.Orchestrator.Bad
		choreo := sw.Choreography.Set && !sw.Choreography.Bad && sw.Choreography.V
		switch {
		case orch && choreo:
			b.errorf(sw.Choreography.Pos, "remove orchestrator: or choreography: true", "%s has both an orchestrator and choreography: true", label)
		case !orch && !choreo && !sw.Orchestrator.Bad && !sw.Choreography.Bad:
			b.errorf(sw.Pos, "add orchestrator: <service> or choreography: true", "%s has neither an orchestrator nor choreography: true", label)
		case orch:
			if svc := b.svcs[sw.Orchestrator.V]; svc != nil {
				sg.Orchestrator = svc.m
			} else {
				b.errorf(sw.Orchestrator.Pos, didYouMean(sw.Orchestrator.V, b.serviceNames()), "unknown service %q in orchestrator", sw.Orchestrator.V)
			}
		default:
			sg.Choreography = true
		}
		triggerOK := false
		if b.required(sw.Trigger, "trigger", sw.Pos, "saga") {
			if svc, name, at, ok := b.splitRef(sw.Trigger, "event", "trigger"); ok {
				if ev := svc.events[name]; ev != nil {
					sg.Trigger = ev
					triggerOK = true
				} else {
					b.notAnEvent(svc, name, at, sw.Trigger.V)
				}
			}
		}
		switch {
		case sw.Steps.Bad:
		case !sw.Steps.Set:
			b.errorf(sw.Pos, "", "missing key %q in saga", "steps")
		case len(sw.Steps.Items) == 0:
			b.errorf(sw.Steps.Pos, "", "%s has no steps", label)
		}
		for j := range sw.Steps.Items {
			st := &sw.Steps.Items[j]
			if st.Bad {
				continue
			}
			stepLabel := fmt.Sprintf("%s step %d", label, j+1)
			step := &model.SagaStep{}
			if b.required(st.Call, "call", st.Pos, "saga step") {
				step.Call = b.sagaCall(st.Call, st.With, sg.Trigger, triggerOK, stepLabel)
			} else if st.With.Set {
				b.errorf(st.With.Pos, "", "with: needs a call:")
			}
			if st.Compensate.Set && b.required(st.Compensate, "compensate", st.Pos, "saga step") {
				step.Compensate = b.sagaCall(st.Compensate, st.CompensateWith, sg.Trigger, triggerOK, stepLabel+" compensation")
			} else if st.CompensateWith.Set && !st.Compensate.Set {
				b.errorf(st.CompensateWith.Pos, "", "compensate_with: needs a compensate:")
			}
			sg.Steps = append(sg.Steps, step)
		}
		if of := sw.OnFailure; of != nil && !of.Bad {
			if b.required(of.Call, "call", of.Pos, "on_failure") {
				sg.OnFailure = b.sagaCall(of.Call, of.With, sg.Trigger, triggerOK, label+" on_failure")
			}
		}
		b.sys.Sagas = append(b.sys.Sagas, sg)
	}
}

// sagaCall resolves a "service.Command" call and binds each of its input
// fields from with: or from the trigger field of the same name and type.
func (b *builder) sagaCall(call str, with ordered[str], trigger *model.Message, triggerOK bool, label string) *model.SagaCall {
	svc, name, at, ok := b.splitRef(call, "command", label)
	if !ok {
		return nil
	}
	cmd := svc.cmds[name]
	if cmd == nil {
		if svc.queries[name] != nil {
			b.errorf(at, "saga steps call commands", "%s calls %s, which is a query", label, call.V)
		} else if svc.events[name] != nil {
			b.errorf(at, "saga steps call commands", "%s calls %s, which is an event", label, call.V)
		} else {
			var cmds []string
			for _, c := range svc.m.Commands {
				cmds = append(cmds, c.Name)
			}
			b.errorf(at, didYouMean(name, cmds), "unknown command %q in service %s", name, svc.m.Name)
		}
		return nil
	}
	sc := &model.SagaCall{Command: cmd}
	var inputNames []string
	for _, f := range cmd.Input.Fields {
		inputNames = append(inputNames, f.Name)
	}
	var triggerNames []string
	if trigger != nil {
		for _, f := range trigger.Fields {
			triggerNames = append(triggerNames, f.Name)
		}
	}
	bound := map[string]model.InputBinding{}
	for _, e := range with.Entries {
		in := cmd.Input.Field(e.Key.V)
		if in == nil {
			b.errorf(e.Key.Pos, didYouMean(e.Key.V, inputNames), "%s: %s has no input field %q", label, call.V, e.Key.V)
			continue
		}
		if e.Value.Bad {
			continue
		}
		src := e.Value.V
		switch src {
		case sourceSagaID, sourceSagaError:
			if in.Type.Kind != model.ScalarType || in.Type.Scalar != model.String {
				b.errorf(e.Value.Pos, "", "%s: input %s is %s, but %s is a string", label, in.Name, typeString(in.Type, cmd.Service), src)
				continue
			}
			kind := model.BindSagaID
			if src == sourceSagaError {
				kind = model.BindSagaError
			}
			bound[in.Name] = model.InputBinding{Field: in, Kind: kind}
		default:
			if !triggerOK {
				continue
			}
			tf := trigger.Field(src)
			if tf == nil {
				b.errorf(e.Value.Pos, didYouMean(src, append(triggerNames, sourceSagaID, sourceSagaError)),
					"%s: the trigger %s has no field %q", label, trigger.Service.Name+"."+trigger.Name, src)
				continue
			}
			if !model.SameType(in.Type, tf.Type) {
				b.errorf(e.Value.Pos, "", "%s: input %s is %s, but trigger field %s is %s", label, in.Name,
					typeString(in.Type, cmd.Service), tf.Name, typeString(tf.Type, cmd.Service))
				continue
			}
			bound[in.Name] = model.InputBinding{Field: in, Kind: model.BindTriggerField, Source: tf}
		}
	}
	for _, in := range cmd.Input.Fields {
		if bnd, ok := bound[in.Name]; ok {
			sc.Inputs = append(sc.Inputs, bnd)
			continue
		}
		if hasKey(with, in.Name) || !triggerOK {
			continue // already reported
		}
		tf := trigger.Field(in.Name)
		if tf != nil && model.SameType(in.Type, tf.Type) {
			sc.Inputs = append(sc.Inputs, model.InputBinding{Field: in, Kind: model.BindTriggerField, Source: tf})
			continue
		}
		trig := trigger.Service.Name + "." + trigger.Name
		hint := fmt.Sprintf("the trigger %s has no field %s; add with: {%s: <trigger field>}", trig, in.Name, in.Name)
		if tf != nil {
			hint = fmt.Sprintf("the trigger's field %s is %s; add with: {%s: <trigger field>}", in.Name, typeString(tf.Type, cmd.Service), in.Name)
		}
		if strings.HasSuffix(label, "compensation") {
			hint = strings.Replace(hint, "add with:", "add compensate_with:", 1)
		}
		b.errorf(at, hint, "%s: input %s (%s) of %s has no source", label, in.Name, typeString(in.Type, cmd.Service), call.V)
	}
	return sc
}

func hasKey[T any](m ordered[T], key string) bool {
	for _, e := range m.Entries {
		if e.Key.V == key {
			return true
		}
	}
	return false
}
