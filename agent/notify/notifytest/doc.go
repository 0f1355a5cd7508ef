// Package notifytest is a real SMTP server on loopback for tests of
// notices (agent/notify and the gateway): STARTTLS with a development
// certificate, AUTH PLAIN, and every message kept for the test to read.
package notifytest
