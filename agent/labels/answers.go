package labels

import (
	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
	wirelabels "clinicgw/sync/wire/labels"
)

// Answers renders a stored case's form answers for a person reading lang,
// as sync/wire/labels.Answers does for the answers the protocol carries.
func Answers(form *wire.Form, fields []cases.Field, lang string) []wirelabels.Answer {
	ws := make([]wire.Field, len(fields))
	for i, f := range fields {
		ws[i] = wire.Field(f)
	}
	return wirelabels.Answers(form, ws, lang)
}
