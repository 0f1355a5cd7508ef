// Package bridge is the workstation's side of card login: a small HTTP
// service on 127.0.0.1 that answers only the gateway's login page (its
// origin, checked on every request), signs the gateway's challenge with
// the SITHS card in the local reader (the PIN from the page, or the
// reader's PIN pad), and after login reports the card's presence to the
// gateway over a websocket, so that pulling the card ends the session.
// `clinicgw bridge` runs it.
package bridge
