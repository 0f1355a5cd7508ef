package devpki

import (
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/ocsp"
)

// Revocation of function certificates (the systems' and the units'), for
// tests of the integration API's check: OCSP responses and the CRL of the
// function CA, signed by it.

// SignFunctionOCSP makes an OCSP response about a function certificate
// with the fields of tmpl (Status, SerialNumber, ThisUpdate, NextUpdate,
// RevokedAt, RevocationReason), signed by the function CA.
func (p *PKI) SignFunctionOCSP(tmpl ocsp.Response) ([]byte, error) {
	der, err := ocsp.CreateResponse(p.function.cert, p.function.cert, tmpl, p.function.key)
	if err != nil {
		return nil, fmt.Errorf("devpki: OCSP response: %w", err)
	}
	return der, nil
}

// FunctionCRL makes the function CA's CRL listing revoked serial numbers
// (reason keyCompromise), valid from thisUpdate to nextUpdate.
func (p *PKI) FunctionCRL(revoked []*big.Int, number int64, thisUpdate, nextUpdate time.Time) ([]byte, error) {
	return p.crl(p.function, revoked, number, thisUpdate, nextUpdate)
}
