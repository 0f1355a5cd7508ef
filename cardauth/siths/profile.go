package siths

import (
	"crypto/x509/pkix"
	"encoding/asn1"
)

var (
	oidGivenName = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidSurname   = asn1.ObjectIdentifier{2, 5, 4, 4}
)

// first returns the first string value of attribute oid in names.
func first(names []pkix.AttributeTypeAndValue, oid asn1.ObjectIdentifier) string {
	for _, n := range names {
		if n.Type.Equal(oid) {
			if s, ok := n.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}
