// Package bidi neutralises the Unicode controls that change the order in
// which text is shown, so that text from patients, staff and files cannot
// pose as something else on a page ("\u202egpj.exe" shown as "exe.jpg").
//
// # What it does
//
// Neutralise (and NeutraliseHTML for a rendered page) changes only these
// code points:
//
//   - the embeddings and overrides U+202A–U+202E (LRE, RLE, PDF, LRO, RLO)
//     and the isolates U+2066–U+2069 (LRI, RLI, FSI, PDI) are replaced by
//     U+FFFD, the replacement character: the text keeps a visible sign
//     that something was there, and every letter is shown in the order it
//     was written;
//   - the marks U+200E, U+200F and U+061C (LRM, RLM, ALM) are removed:
//     they are invisible, only steer the neutral characters around them,
//     and keyboards for Arabic and Persian insert them, so a visible sign
//     would be noise.
//
// In a text that holds such a control, invalid UTF-8 is shown as U+FFFD
// too, as a browser would show it: otherwise removing a mark could join
// the bytes on either side into a new control.
//
// Every other character is kept: letters of right-to-left scripts are
// shown as they should be. Where such text stands beside other text on
// one line, the pages put it in an isolate (<bdi>), so that it cannot
// carry the neutral characters around it (an arrow, a comma, digits) over
// to its side.
//
// # Where it is applied
//
// Not on input: the store keeps what the patient or the staff member
// wrote, and the archive exports it as it was written (the record). The
// neutraliser runs at the one place each web front end writes a rendered
// page (localui's render and fragment, sync/central's render), over the
// whole output, so a template added later is covered without doing
// anything. Templates hold no such controls of their own (a test in each
// front end checks). Notices (agent/notify) neutralise the one free text
// they carry, the unit's name. Command-line output quotes untrusted names
// with %q, which escapes these controls already.
package bidi
