package wire

// Booking requests announced on the stream. A gateway that decides online
// bookings dials the stream (PathStream2) with the query
// StreamAnnounceBooking; a central store that knows it then sends a
// StreamBooking message whenever a patient's request starts waiting, and
// the gateway takes the requests at once instead of at its next push
// round. A gateway of the release before never asks, so it never meets
// the message type; a central store of the release before ignores the
// query, and the gateway's push round takes the requests as before.

// StreamAnnounceBooking is the stream's query asking for StreamBooking
// messages: PathStream2 + "?" + StreamAnnounceBooking.
const StreamAnnounceBooking = "announce=booking"
