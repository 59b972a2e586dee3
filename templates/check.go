package templates

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"time"
)

// ErrNoTemplate is returned (wrapped) by Check and Render for a name the
// set does not have.
var ErrNoTemplate = errors.New("no such template")

// kinds maps each built-in template name to the data maildesk renders it
// with. A template a category names in ack_template or notice_template is
// rendered with the data of "ack" or "notice".
var kinds = map[string]reflect.Type{
	"ack":               reflect.TypeFor[Ack](),
	"alert":             reflect.TypeFor[Alert](),
	"answer":            reflect.TypeFor[Answer](),
	"correction-ack":    reflect.TypeFor[Ack](), // the correction category's ack_template
	"correction-result": reflect.TypeFor[CorrectionResult](),
	"reminder":          reflect.TypeFor[Reminder](),
	"fyi":               reflect.TypeFor[FYI](),
	"interim":           reflect.TypeFor[Notice](),
	"notice":            reflect.TypeFor[Notice](),
	"original":          reflect.TypeFor[Original](),
	"quarantine":        reflect.TypeFor[Quarantine](),
	"history":           reflect.TypeFor[History](),
	"spoof":             reflect.TypeFor[Spoof](),
	"staff":             reflect.TypeFor[Staff](),
	"staff-error":       reflect.TypeFor[StaffError](),
	"transfer":          reflect.TypeFor[Transfer](),
	// The survey's (templates/survey.go).
	"survey":        reflect.TypeFor[Survey](),
	"survey-thanks": reflect.TypeFor[SurveyThanks](),
	"survey-alert":  reflect.TypeFor[SurveyAlert](),
	// The monthly charter report (templates/report.go).
	"report": reflect.TypeFor[Report](),
}

// Check renders template name as a template of kind (a built-in name such
// as "ack") would be rendered, once with every field of the data filled
// and once with every field empty, and discards the result. text/template
// looks fields up only when it executes, so a misspelt field
// ({{.Handler.Nmae}}) or a function given the wrong type would otherwise
// pass Load and break the first real mail; Check reports it as an *Error
// at the file and line when the files are loaded or checked.
func (s *Set) Check(name, kind string) error {
	typ, ok := kinds[kind]
	if !ok {
		return fmt.Errorf("check %s: unknown kind %q", name, kind)
	}
	t, ok := s.text[name]
	if !ok {
		return fmt.Errorf("%w %q (have %s)", ErrNoTemplate, name, joinNames(s.Names()))
	}
	for _, data := range []any{filled(typ).Interface(), reflect.Zero(typ).Interface()} {
		if err := t.Execute(io.Discard, data); err != nil {
			return positioned(s.files[name+".txt"], err)
		}
		if h, ok := s.html[name]; ok {
			if err := h.Execute(io.Discard, data); err != nil {
				return positioned(s.files[name+".html"], err)
			}
		}
	}
	return nil
}

// checkKnown checks every template of a built-in name against its kind.
func (s *Set) checkKnown() Errors {
	var errs Errors
	for name := range s.text {
		if _, ok := kinds[name]; ok {
			if err := s.Check(name, name); err != nil {
				e, ok := errors.AsType[*Error](err)
				if !ok {
					// Not about a line of the file: a kind Check does not
					// know, which kinds' own keys rule out.
					e = &Error{File: s.files[name+".txt"], Msg: err.Error(), Err: err}
				}
				errs = append(errs, e)
			}
		}
	}
	sortErrors(errs)
	return errs
}

// sampleTime is the time every filled time field holds.
var sampleTime = time.Date(2026, 11, 27, 14, 0, 0, 0, time.FixedZone("KST", 9*60*60))

// filled returns a value of typ with every field set, so that the
// {{if}} and {{with}} branches taken for real data are executed too.
func filled(typ reflect.Type) reflect.Value {
	v := reflect.New(typ).Elem()
	switch {
	case typ == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(sampleTime))
	case typ.Kind() == reflect.Struct:
		for i := range typ.NumField() {
			if typ.Field(i).IsExported() {
				v.Field(i).Set(filled(typ.Field(i).Type))
			}
		}
	case typ.Kind() == reflect.String:
		v.SetString("x")
	case typ.Kind() == reflect.Bool:
		v.SetBool(true)
	case typ.Kind() == reflect.Int || typ.Kind() == reflect.Int64:
		v.SetInt(1)
	case typ.Kind() == reflect.Slice:
		v.Set(reflect.Append(v, filled(typ.Elem())))
	}
	return v
}
