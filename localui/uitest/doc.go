// Package uitest drives a headless Chromium for the web UI's end-to-end
// tests and checks the pages it shows with axe-core.
//
// NewBrowser starts one Debian Chromium (apt package chromium, binary
// /usr/bin/chromium) through chromedp; NewTab opens an isolated browser
// context in it, with its own cookies, so one test can be a distributor
// and a clinician at once; SecondTab opens another tab in a tab's context
// (one person's second tab, sharing cookies). A Tab records console
// errors, Content Security Policy violations and the JavaScript dialogs
// pages opened (dismissing them), which is how an XSS test proves that
// nothing ran.
//
// Tab.Axe runs axe-core (npm package axe-core, version AxeVersion) on the
// current page through the DevTools protocol, so pages keep their strict
// CSP. AxePath finds axe.min.js: $CLINICGW_AXE_JS, or the user cache
// directory, where it installs axe-core with npm the first time.
//
// Running the tests needs:
//
//	apt-get install chromium fonts-dejavu-core   # or .ci/deps
//	npm                                          # for axe-core, or CLINICGW_AXE_JS=/path/axe.min.js
//
// Without Chromium the tests skip, and without npm (and CLINICGW_AXE_JS) the
// accessibility checks skip, each saying why; with CLINICGW_REQUIRE_BROWSER
// set (CI sets it) they fail instead.
package uitest
