package i18n

// centralAccountTexts are the reference central store's "delete my
// account" page (sync/central's account.go): forgetting the patient's key
// makes everything they have there unreadable at once.
var centralAccountTexts = map[string]text{
	"central.page.account.link":    {"Radera mitt konto", "Delete my account"},
	"central.page.account.heading": {"Radera mitt konto", "Delete my account"},
	"central.page.account.intro": {"Om du raderar ditt konto kan ingen längre läsa det du har här: dina ärenden och meddelanden, också de du skrivit för ett barn, dina bokade tider och ditt val av påminnelser. Det går inte att ångra. Vårdenheterna har kvar det de redan har fått i sina journaler. Du kan logga in igen senare och börja om.",
		"If you delete your account, no one can read what you have here any more: your cases and messages, also those you wrote for a child, your booked times and your choice of reminders. It cannot be undone. The care units keep what they have already received in their records. You can log in again later and start afresh."},
	"central.page.account.confirm":     {"Jag förstår att det inte går att ångra", "I understand that it cannot be undone"},
	"central.page.account.submit":      {"Radera mitt konto", "Delete my account"},
	"central.page.account.unconfirmed": {"Kryssa i rutan om du vill radera ditt konto.", "Tick the box if you want to delete your account."},
	"central.page.account.deleted":     {"Ditt konto är raderat. Det du hade här kan inte längre läsas.", "Your account is deleted. What you had here can no longer be read."},
	"central.page.account.back":        {"Tillbaka till mina ärenden", "Back to my cases"},
}
