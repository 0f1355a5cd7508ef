// Package localui is the care unit's web UI on the clinic LAN: where
// message administrators distribute the unit's cases, clinicians answer
// them, unit administrators keep the unit's settings and statistics and
// auditors read the access log.
//
// The unit administrator shapes the unit's services (services.go: new,
// copy, retire, templates, import and export of the catalogue, each
// refusal shown at its control) and their forms (forms.go, formsedit.go);
// every staff page names and orders the services by the unit's catalogue
// (ServiceBook, put into each session's request by staffOnly).
//
// The UI's texts come from the one catalogue, sync/i18n, in Swedish
// unless the staff member chose English, counts in words that follow the
// number (lang.go); the names of codes come from agent/labels. The case
// service's and the card login's refusals still carry their own words
// (their Swedish and English methods), shown as they give them.
//
// Pages are rendered on the server with html/template; static files are
// embedded, named by their content's hash and cached immutable
// (assets.go); the little JavaScript there is lives in files (the CSP
// forbids inline script). Answers to GET are gzipped when the browser
// accepts it (compress.go says why that gives BREACH nothing to guess).
// A list's rows are rendered once and kept by everything they show
// (rowcache.go): a refresh of unchanged rows renders none of them again.
// The inbox has one menu of clinicians, which each row's button sends for
// its case, and which assigns the ticked rows in one action, each case
// through the case service (inboxactions.go); a push refetches only the
// rows of the cases it names, and the counts beside the views
// (counts.go). A search by personnummer is a POST answered in place: the
// number never reaches an address or a log. Every page rendered for a session holds one websocket:
// it pushes changes, so that a new case appears in an open inbox without a
// reload, and it closes when the session ends (card pulled, 15 minutes
// idle, logout, commission removed), which locks the page: everything it
// showed, typed drafts included, is removed from the document and only
// "log in again" remains. The layout does this for every page render
// draws for a session, so a new page cannot leave it out; the routes are
// one table (routes), which the tests walk in Chromium to prove it. When
// the gateway stops, Server.Shutdown closes every page's websocket with
// 1001 (going away: the page tries again and locks when it finds its
// session ended) and waits for their handlers, which http.Server.Shutdown
// does not, so that none runs after the store closed.
//
// The header of every page of a session has the sync badge: in contact
// with the central store, or since when not and how many answers wait,
// pushed over the same websocket when it changes (syncstate.go); a case
// page says of each staff message whether the central store has it. The
// unit administrator keeps the unit's contact details for patients on a
// page of their own (contact.go), published with the forms.
//
// Staff log in with their SITHS card through the workstation's bridge
// (cardauth/bridge): the login page asks the gateway for a challenge, has
// the bridge sign it with the card, hands the signed token to the gateway
// and then gives the bridge the session's presence ticket.
//
// Every case the UI shows or changes goes through the case service
// (agent/cases), which checks who may do what and writes the access log;
// the UI adds no rule of its own that the service does not also enforce.
// It adds one warning: a case given to a clinician on leave waits for
// "assign anyway" or another choice (leave.go). The inbox tells the
// message administrator of cases the central store accepted that this
// gateway could not take (the quarantine: quarantine.go), and a case
// taken in spite of a version's rule says so on its page.
//
// Staff groups (queue.go, groupsadmin.go): the unit administrator keeps
// the groups and their members on /admin/groups; a group's members and
// the distributor see its queue live on /queue/{group}, a member takes a
// case from it ("Ta ärendet") and the distributor moves a case to a queue
// from the case page. The case service decides who may see and do what.
//
// The booking diary (diary.go, diaryadmin.go): /diary is a day or week of
// times, a clinician's or the unit's, where staff book by phone, rebook,
// cancel with a reason and mark arrived or no-show through agent/booking's
// authority, each look at a booked time and each change in the access log
// (a change's entry in the change's own transaction, a look through
// Config.DiaryLog), live over the page's websocket ("diary": every change,
// the sync's too: a diary with OnChange is watched, diarylive.go); the unit
// administrator keeps the time types, templates and exceptions, generates
// and reads the online figure on /admin/diary, and the booking statistics
// with the figure on /admin/diary/stats (diarystats.go, CSV too). From a
// "Beställa tid" or "Av/omboka tid" case the assigned clinician books a
// time and answers with it in one action (diarycase.go, one transaction).
//
// Every page and live fragment is written by render or fragment, which
// pass the output through bidi.NeutraliseHTML: no bidi override, isolate
// or mark from patient or staff text reaches the browser, whatever a
// template prints. Names set beside other text are isolated in <bdi>.
package localui
