// Package labelstest finds the product's internal codes for tests: every
// constant of a string type, read from the Go source of the packages that
// declare them, so a test of "no raw code on a page" or "every code has a
// label" covers a constant the day it is added, with no hand list.
//
// VisibleText and RawCodes read a page as a person reads it and find the
// codes it shows as they are; WordCodes are the few codes that are also
// Swedish words, checked where they are shown instead.
package labelstest
